// Draws the overview's charts from the JSON the server rendered into #chart-data.
// No inline script anywhere: the page's Content-Security-Policy allows only this file.
(function () {
  "use strict";
  var node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") { return; }
  var d = JSON.parse(node.textContent);
  var blue = "#2458d3", green = "#1f8a4c", teal = "#3aa3a3", red = "#c0392b", grey = "#8a93a6";
  var pct = function (v) { return Math.round(v * 1000) / 10 + " %"; };
  var usd = function (v) {
    if (v === null) { return "-"; }
    var n = Number(v);  // fractions of a cent need significant digits, not fixed decimals
    return "$" + (n !== 0 && Math.abs(n) < 0.01 ? n.toPrecision(2) : n.toFixed(4));
  };
  Chart.defaults.animation = false;  // steady screenshots; nothing moves on a dashboard
  Chart.defaults.maintainAspectRatio = false;

  function draw(id, config) {
    var el = document.getElementById(id);
    if (el) { el.chart = new Chart(el, config); el.setAttribute("data-rendered", "1"); }
  }

  draw("chart-trend", {
    type: "line",
    data: { labels: d.days, datasets: [
      { label: "deflection", data: d.deflection, borderColor: blue, backgroundColor: blue },
      { label: "resolved, confirmed", data: d.resolution_confirmed, borderColor: green, backgroundColor: green },
      { label: "resolved, assumed", data: d.resolution_assumed, borderColor: teal, backgroundColor: teal, borderDash: [4, 3] }
    ] },
    options: { scales: { y: { min: 0, max: 1, ticks: { callback: pct } } },
               plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + pct(c.parsed.y); } } } } }
  });
  var routes = Object.keys(d.routes);
  var routeColour = { slm: blue, llm: teal, human: red, undecided: grey };
  draw("chart-routes", {
    type: "doughnut",
    data: { labels: routes, datasets: [{ data: routes.map(function (k) { return d.routes[k]; }),
      backgroundColor: routes.map(function (k) { return routeColour[k] || grey; }) }] },
    options: { plugins: { legend: { position: "right" } } }
  });
  draw("chart-cost", {
    type: "bar",
    data: { labels: ["deskroute: local + hosted models", "all-LLM: every ticket to the hosted model"],
      datasets: [{ label: "USD per resolved ticket", data: [d.cost.deskroute_models, d.cost.all_llm],
        backgroundColor: [blue, grey] }] },
    options: { plugins: { legend: { display: false },
      tooltip: { callbacks: { label: function (c) { return usd(c.parsed.y); } } } },
      scales: { y: { beginAtZero: true, ticks: { callback: usd } } } }
  });
  draw("chart-reasons", {
    type: "bar",
    data: { labels: d.reasons.labels, datasets: [{ label: "escalated tickets", data: d.reasons.counts, backgroundColor: red }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
