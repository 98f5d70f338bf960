// The admin dashboard's charts: drawn by Chart.js (static/vendor/chartjs) from the specs the page
// carries as JSON in #dashboard-data (see experiments/dashboard_views.py). Each spec names its
// canvas (#chart-<key>), labels, series, axis titles and whether the left axis is a percentage.
(function () {
  "use strict";
  const source = document.getElementById("dashboard-data");
  if (!source || !window.Chart) {
    return;
  }
  const palette = ["#417690", "#e07b39", "#4c9a2a", "#a05195", "#d1495b", "#2f4b7c", "#c7a100", "#665191"];
  const style = getComputedStyle(document.documentElement);
  const quiet = style.getPropertyValue("--body-quiet-color").trim();
  const lines = style.getPropertyValue("--hairline-color").trim();
  if (quiet) {
    Chart.defaults.color = quiet;
  }
  if (lines) {
    Chart.defaults.borderColor = lines;
  }
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function axis(title, extra) {
    return Object.assign({ beginAtZero: true, title: { display: true, text: title } }, extra || {});
  }

  for (const spec of JSON.parse(source.textContent)) {
    const canvas = document.getElementById("chart-" + spec.key);
    if (!canvas) {
      continue;
    }
    const datasets = spec.series.map(function (series, i) {
      const colour = palette[i % palette.length];
      const kind = series.kind || spec.kind;
      return {
        label: series.label,
        data: series.data,
        type: kind,
        yAxisID: series.axis,
        order: kind === "line" ? 0 : 1,  // lines in front of bars
        borderColor: colour,
        backgroundColor: kind === "bar" ? colour + "88" : colour,
        borderWidth: 2,
        pointRadius: spec.labels.length > 60 ? 0 : 2,
        tension: 0.2,
      };
    });
    const percent = spec.percent ? { ticks: { callback: (value) => value + "%" } } : {};
    const scales = { x: { title: { display: true, text: spec.x_title } }, y: axis(spec.y_title, percent) };
    if (spec.y2_title) {
      scales.y2 = axis(spec.y2_title, { position: "right", grid: { drawOnChartArea: false } });
    }
    new Chart(canvas, {
      type: spec.kind,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: still ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                const unit = spec.percent && item.dataset.yAxisID === "y" ? "%" : "";
                return item.dataset.label + ": " + item.formattedValue + unit;
              },
            },
          },
        },
      },
    });
  }
})();
