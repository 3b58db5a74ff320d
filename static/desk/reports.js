// The reports' charts (Chart.js 4, vendored). Data comes from the json_script block #report-charts.
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  // Eight distinct colours, one per kind of case (Chart.js's own palette has seven).
  var palette = ["#0d6efd", "#dc3545", "#fd7e14", "#ffc107", "#20c997", "#6f42c1", "#6c757d", "#d63384"];

  var onTime = document.getElementById("chart-on-time");
  if (onTime) {
    new Chart(onTime, {
      type: "bar",
      data: { labels: data.on_time.labels, datasets: [{ label: data.on_time.label, data: data.on_time.values, backgroundColor: palette[0] }] },
      options: { scales: { y: { min: 0, max: 100 } }, plugins: { legend: { display: false } } }
    });
  }

  var weeks = document.getElementById("chart-case-weeks");
  if (weeks) {
    new Chart(weeks, {
      type: "bar",
      data: {
        labels: data.case_weeks.labels,
        datasets: data.case_weeks.datasets.map(function (set, i) {
          return { label: set.label, data: set.values, backgroundColor: palette[i % palette.length] };
        })
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
})();
