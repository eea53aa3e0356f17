// Draws each Programme report chart from the JSON the page embeds beside its table.
// Without this script (or Chart.js) the charts stay hidden and the tables remain.
(function () {
  "use strict";
  function draw() {
    if (typeof window.Chart === "undefined") {
      return;
    }
    document.querySelectorAll("[data-programme-chart]").forEach(function (figure) {
      var source = document.getElementById(figure.getAttribute("data-programme-chart"));
      if (!source) {
        return;
      }
      var spec = JSON.parse(source.textContent);
      figure.hidden = false;
      new window.Chart(figure.querySelector("canvas"), {
        type: spec.type,
        data: { labels: spec.labels, datasets: spec.datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { position: "bottom" } },
        },
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
