// The reports' charts (Chart.js 4, vendored). Data comes from the json_script block #report-charts.
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);

  var onTime = document.getElementById("chart-on-time");
  if (onTime) {
    new Chart(onTime, {
      type: "bar",
      data: { labels: data.on_time.labels, datasets: [{ label: data.on_time.label, data: data.on_time.values }] },
      options: { scales: { y: { min: 0, max: 100 } }, plugins: { legend: { display: false } } }
    });
  }

  var weeks = document.getElementById("chart-case-weeks");
  if (weeks) {
    new Chart(weeks, {
      type: "bar",
      data: {
        labels: data.case_weeks.labels,
        datasets: data.case_weeks.datasets.map(function (set) { return { label: set.label, data: set.values }; })
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
})();
