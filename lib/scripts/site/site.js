// Render every chart of the page with vega-embed (bundled in assets/vega): the vega-lite spec of the
// notebook's output, interactive (tooltips, legend highlighting, rank sliders). Rendered views are kept
// on window.courseCharts for the browser tests.
(function () {
  window.courseCharts = [];
  var charts = document.querySelectorAll(".vega-chart");
  var pending = charts.length;
  if (pending === 0) document.body.dataset.chartsReady = "0";
  charts.forEach(function (el) {
    var spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
    window.vegaEmbed(el, spec, { actions: false, renderer: "svg", mode: "vega-lite" })
      .then(function (result) {
        el.dataset.rendered = "true";
        window.courseCharts.push({ id: el.id, view: result.view });
      })
      .catch(function (err) {
        el.dataset.rendered = "error";
        console.error("chart " + el.id + ": " + err);
      })
      .finally(function () {
        pending -= 1;
        if (pending === 0) document.body.dataset.chartsReady = String(charts.length);
      });
  });
})();
