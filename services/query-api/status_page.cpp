// The /status page: one HTML document for a person, readable on a phone, updated live from the
// event stream (EventSource sends the login cookie; the token never appears in a URL).
#include <algorithm>
#include <cmath>
#include <ctime>

#include "query_api_internal.hpp"
#include "oura/core/text.hpp"

namespace oura::query_api {
namespace {

std::string when(std::optional<double> t) {
    if (!t) return "never";
    std::time_t s = static_cast<std::time_t>(*t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

std::string age(double seconds) {
    if (seconds < 0) seconds = 0;
    if (seconds < 120) return std::to_string(static_cast<long long>(seconds)) + " s";
    if (seconds < 7200) return std::to_string(static_cast<long long>(seconds / 60)) + " min";
    if (seconds < 172800) return std::to_string(static_cast<long long>(seconds / 3600)) + " h";
    return std::to_string(static_cast<long long>(seconds / 86400)) + " d";
}

constexpr const char* style = R"css(
body{font-family:system-ui,sans-serif;margin:0;padding:0.5rem;background:#fafafa;color:#222;font-size:15px}
h1{font-size:1.3rem;margin:0.3rem 0}h2{font-size:1.05rem;margin:1rem 0 0.3rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:0.85rem}td,th{padding:0.2rem 0.3rem;text-align:left;border-bottom:1px solid #eee;vertical-align:top}
.ok{color:#1a7f37;font-weight:600}.late{color:#9a6700;font-weight:600}.stale,.dead,.error{color:#cf222e;font-weight:600}
.box{overflow-x:auto}#live-changes{font-family:monospace;font-size:0.8rem;padding-left:1rem}
form{margin:2rem auto;max-width:20rem;display:flex;flex-direction:column;gap:0.5rem}input,button{font-size:1rem;padding:0.4rem}
)css";

constexpr const char* live_script = R"js(
(function(){
  var list=document.getElementById('live-changes');
  var last=document.getElementById('last-change');
  function refresh(){
    fetch('/status?fragment=1',{credentials:'same-origin'}).then(function(r){return r.ok?r.text():null}).then(function(t){
      if(t!==null){document.getElementById('content').innerHTML=t;}
    }).catch(function(){});
  }
  var timer=null;
  var after=document.body.getAttribute('data-last-event');
  var es=new EventSource('/api/events/stream?after='+encodeURIComponent(after));
  es.addEventListener('change',function(e){
    var d=JSON.parse(e.data);
    var text=d.at+' user '+d.user_id+' '+d.resource+' '+d.change+(d.document_id?' '+d.document_id:'')+(d.change==='samples'?' ('+d.rows+' rows)':'');
    last.textContent=text;
    var li=document.createElement('li');li.textContent=text;list.insertBefore(li,list.firstChild);
    while(list.children.length>50){list.removeChild(list.lastChild);}
    if(!timer){timer=setTimeout(function(){timer=null;refresh();},500);}
  });
  es.onopen=function(){document.getElementById('stream-state').textContent='live';};
  es.onerror=function(){document.getElementById('stream-state').textContent='reconnecting';};
})();
)js";

}  // namespace

std::string status_content(const store::PipelineSnapshot& s, const StatusThresholds& th) {
    std::string h;
    h += "<section id=\"syncs\"><h2>Sync per user and resource</h2><div class=\"box\"><table><tr><th>user</th><th>resource</th>"
         "<th>last success</th><th>freshness</th><th>last error</th></tr>";
    for (const auto& x : s.syncs) {
        std::string fresh = "stale";
        if (x.last_success) {
            double a = s.now - *x.last_success;
            fresh = a <= th.late_after_seconds ? "ok" : a <= th.stale_after_seconds ? "late" : "stale";
        }
        h += "<tr data-user=\"" + std::to_string(x.user_id) + "\" data-resource=\"" + core::html_escape(x.resource) + "\"><td>" +
             std::to_string(x.user_id) + "</td><td>" + core::html_escape(x.resource) + "</td><td>" + when(x.last_success) +
             "</td><td class=\"freshness " + fresh + "\">" + fresh + "</td><td>" + core::html_escape(x.last_error) + "</td></tr>";
    }
    h += "</table></div></section>";

    long long dead = 0, pending = 0;
    h += "<section id=\"jobs\"><h2>Jobs</h2><table><tr><th>kind</th><th>state</th><th>count</th></tr>";
    for (const auto& j : s.jobs) {
        if (j.state == "dead") dead += j.count;
        if (j.state == "pending") pending += j.count;
        h += "<tr><td>" + core::html_escape(j.kind) + "</td><td class=\"" + core::html_escape(j.state) + "\">" + core::html_escape(j.state) +
             "</td><td>" + std::to_string(j.count) + "</td></tr>";
    }
    h += "</table><p>backlog <span id=\"jobs-pending\">" + std::to_string(pending) + "</span>, dead <span id=\"jobs-dead\">" +
         std::to_string(dead) + "</span></p></section>";

    h += "<section id=\"backfills\"><h2>Backfills in progress</h2><table><tr><th>id</th><th>users</th><th>resources</th>"
         "<th>days</th><th>progress</th></tr>";
    for (const auto& b : s.backfills) {
        long long pct = b.chunks_total > 0 ? (b.chunks_done * 100) / b.chunks_total : 0;
        h += "<tr><td>" + std::to_string(b.id) + "</td><td>" + core::html_escape(b.users) + "</td><td>" + core::html_escape(b.resources) +
             "</td><td>" + core::html_escape(b.from_day) + " – " + core::html_escape(b.to_day) + "</td><td>" + std::to_string(b.chunks_done) +
             "/" + std::to_string(b.chunks_total) + " (" + std::to_string(pct) + "%)" +
             (b.chunks_failed ? ", " + std::to_string(b.chunks_failed) + " failed" : "") + "</td></tr>";
    }
    h += "</table></section>";

    h += "<section id=\"webhooks\"><h2>Webhooks</h2><p>inbox lag <span id=\"inbox-lag\">" + age(s.inbox_lag_seconds) +
         "</span></p><table><tr><th>data type</th><th>event</th><th>expires</th><th>last error</th></tr>";
    for (const auto& x : s.subscriptions) {
        double left = x.expires - s.now;
        h += "<tr><td>" + core::html_escape(x.data_type) + "</td><td>" + core::html_escape(x.event_type) + "</td><td class=\"" +
             (left < 14 * 86400 ? "late" : "ok") + "\">" + when(x.expires) + "</td><td>" + core::html_escape(x.last_error) + "</td></tr>";
    }
    h += "</table></section>";

    h += "<section id=\"tokens\"><h2>Tokens</h2><p>users who must reconnect: <span id=\"reconnect\">" +
         std::to_string(s.users_needing_reconnect) + "</span></p><table><tr><th>user</th><th>access token expires</th><th>grant</th></tr>";
    for (const auto& t : s.tokens)
        h += "<tr><td>" + std::to_string(t.user_id) + "</td><td>" + when(t.expires) + "</td><td class=\"" +
             (t.dead ? "dead\">dead" : "ok\">ok") + "</td></tr>";
    h += "</table></section>";

    h += "<section id=\"tables\"><h2>Tables</h2><table><tr><th>table</th><th>rows (est.)</th><th>MiB</th></tr>";
    for (const auto& t : s.tables) {
        char mib[32];
        std::snprintf(mib, sizeof mib, "%.1f", static_cast<double>(t.bytes) / 1048576.0);
        h += "<tr><td>" + core::html_escape(t.table) + "</td><td>" + std::to_string(t.rows) + "</td><td>" + mib + "</td></tr>";
    }
    h += "</table></section>";
    return h;
}

std::string status_page(const store::PipelineSnapshot& s, const std::vector<store::ChangeEvent>& recent,
                        const StatusThresholds& th) {
    std::string h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Oura platform status</title><style>";
    h += style;
    long long last_event = 0;
    for (const auto& e : recent) last_event = std::max(last_event, e.id);
    // The stream starts after the newest event this page shows, so nothing committed between the
    // page and the stream's start is missed.
    h += "</style></head><body data-last-event=\"" + std::to_string(last_event) + "\"><h1>Oura platform status</h1><p>as of " + when(s.now) +
         " · stream <span id=\"stream-state\">connecting</span></p><div id=\"content\">";
    h += status_content(s, th);
    h += "</div><section id=\"changes\"><h2>Live changes</h2><p>last: <span id=\"last-change\">";
    h += recent.empty() ? std::string("none yet") : core::html_escape(recent.front().at + " " + recent.front().resource + " " + recent.front().change);
    h += "</span></p><ol id=\"live-changes\">";
    for (const auto& e : recent)
        h += "<li>" + core::html_escape(e.at + " user " + std::to_string(e.user_id) + " " + e.resource + " " + e.change + " " + e.document_id) + "</li>";
    h += "</ol></section><form method=\"post\" action=\"/status/logout\" style=\"margin:1rem 0\"><button>Log out</button></form><script>";
    h += live_script;
    h += "</script></body></html>";
    return h;
}

std::string login_page(bool failed) {
    std::string h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Oura platform status: log in</title><style>";
    h += style;
    h += "</style></head><body><h1>Oura platform status</h1><form method=\"post\" action=\"/status/login\" id=\"login\">"
         "<label for=\"token\">Read token</label><input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" required>"
         "<button type=\"submit\">Log in</button>";
    if (failed) h += "<p class=\"error\">That token is not valid.</p>";
    h += "</form></body></html>";
    return h;
}

}  // namespace oura::query_api
