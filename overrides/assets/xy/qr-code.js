/* The 信用报告's QR code, drawn in the reader's browser from the report's own address
   (the data-xy-qr attribute: the permanent URL printed beside it), with the vendored
   qrcode-generator (MIT, qrcode-generator.LICENSE.txt). No request leaves the site.
   Drawn on load, so it prints like any other content; without JavaScript the printed
   URL stays. A quiet zone of 4 modules, 3 px a module. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg", QUIET = 4, SCALE = 3;
  function svgOf(url) {
    var qr = qrcode(0, "M");
    qr.addData(url, "Byte");
    qr.make();
    var n = qr.getModuleCount(), size = n + 2 * QUIET, d = [];
    for (var r = 0; r < n; r += 1) {
      for (var c = 0; c < n; c += 1) {
        if (qr.isDark(r, c)) d.push("M" + (c + QUIET) + " " + (r + QUIET) + "h1v1h-1z");
      }
    }
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "本报告网址的二维码");
    svg.setAttribute("viewBox", "0 0 " + size + " " + size);
    svg.setAttribute("width", String(size * SCALE));
    svg.setAttribute("height", String(size * SCALE));
    svg.setAttribute("shape-rendering", "crispEdges");
    var bg = document.createElementNS(NS, "rect");
    bg.setAttribute("width", String(size));
    bg.setAttribute("height", String(size));
    bg.setAttribute("fill", "#fff");
    var path = document.createElementNS(NS, "path");
    path.setAttribute("d", d.join(""));
    svg.appendChild(bg);
    svg.appendChild(path);
    return svg;
  }
  function draw() {
    document.querySelectorAll("[data-xy-qr]").forEach(function (box) {
      if (!box.firstChild) box.appendChild(svgOf(box.getAttribute("data-xy-qr")));
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
