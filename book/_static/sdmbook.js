/* sdmbook: inline formulas wider than their paragraph (MathJax does not break inline maths)
   scroll sideways inside the line on a phone instead of sticking out of the page. Display
   equations scroll by CSS (div.math, sdmbook.css). */
(function () {
  function fit() {
    document.querySelectorAll("mjx-container:not([display])").forEach(function (m) {
      m.classList.remove("sdmbook-wide");
      var block = m.parentElement;
      while (block && getComputedStyle(block).display.indexOf("inline") === 0) block = block.parentElement;
      if (block && m.getBoundingClientRect().width > block.clientWidth) m.classList.add("sdmbook-wide");
    });
  }
  /* The reproduction table reads as one card per row on a phone (sdmbook.css): each cell is
     labelled with its column's header. */
  function labelCells() {
    document.querySelectorAll("table.reproduction").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (td, i) {
          if (heads[i]) td.setAttribute("data-label", heads[i]);
        });
      });
    });
  }
  function start() {
    labelCells();
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(function () {
        fit();
        // widths change once the maths fonts have loaded: measure again then
        if (document.fonts && document.fonts.ready) document.fonts.ready.then(fit);
      });
    }
    window.addEventListener("load", fit);
    var timer;
    window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(fit, 150); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
