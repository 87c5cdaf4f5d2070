/* 适老化 mode: larger type and higher contrast, remembered in localStorage. No pop-ups.
   Loaded in <head> (small, same host) so the saved mode applies before the first paint;
   the button is added here because it only works with JavaScript. */
(function () {
  var root = document.documentElement, KEY = "xy-elder";
  try { if (localStorage.getItem(KEY) === "1") root.classList.add(KEY); } catch (e) { /* private mode */ }
  document.addEventListener("DOMContentLoaded", function () {
    // 打印 buttons (信用报告, 异议申请表) only work with JavaScript: shown here.
    document.querySelectorAll("[data-xy-print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });
    var bar = document.querySelector(".xy-bar");
    if (!bar) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "xy-elder-btn";
    var sync = function () {
      var on = root.classList.contains(KEY);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "退出适老化模式" : "适老化模式";
    };
    button.addEventListener("click", function () {
      var on = root.classList.toggle(KEY);
      try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
      sync();
    });
    sync();
    bar.appendChild(button);
  });
})();
