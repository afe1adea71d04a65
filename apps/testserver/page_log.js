// page_log.js — the page side of the test server's /done hook, shared by every page of the web
// build (the demo, the conformance and test-server pages, the browser benchmark). CMake copies it
// to the web build's root; pages load it as ../page_log.js.
//   line(text)          shows a line in #log (if the page has one) and console.logs it, which
//                       web_runner passes on as "console: ...";
//   report(code, extra) logs `extra` (if given), then POSTs the whole log once to /done?code=N:
//                       web_runner's verdict (0 passes); `asyncload serve` prints it. Later calls
//                       do nothing, so the first outcome counts.
// An uncaught error reports 98, and so does an unhandled promise rejection.
var lines = [];
var reported = false;

function line(text) {
  lines.push(text);
  console.log(text);
  var log = document.getElementById('log');
  if (log) log.appendChild(document.createTextNode(text + '\n'));
}

function report(code, extra) {
  if (reported) return;
  reported = true;
  if (extra) line(extra);
  // Served by something other than the test server, /done may just 404.
  fetch('/done?code=' + code, {method: 'POST', body: lines.join('\n') + '\n'}).catch(function () {});
}

window.onerror = function (message, source, lineno, colno, error) {
  report(98, 'uncaught error: ' + message + ' at ' + source + ':' + lineno + ':' + colno +
             (error && error.stack ? '\n' + error.stack : ''));
};
window.addEventListener('unhandledrejection', function (event) {
  report(98, 'unhandled rejection: ' + (event.reason && event.reason.stack || event.reason));
});
