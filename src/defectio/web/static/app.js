// defectio: the review queue's keyboard shortcuts. Loaded from /static (the CSP allows no
// inline script). Without JavaScript every action is still a plain form.
"use strict";
(function () {
  function items() { return Array.from(document.querySelectorAll(".queue .item")); }
  function current() {
    var list = items();
    var focused = list.indexOf(document.activeElement);
    if (focused >= 0) return focused;
    var marked = list.findIndex(function (el) { return el.classList.contains("current"); });
    return marked >= 0 ? marked : 0;
  }
  function select(i) {
    var list = items();
    if (!list.length) return;
    i = Math.max(0, Math.min(list.length - 1, i));
    list.forEach(function (el) { el.classList.remove("current"); });
    list[i].classList.add("current");
    list[i].focus();
  }
  function submit(kind) {
    var list = items();
    if (!list.length) return;
    var form = list[current()].querySelector("form." + kind);
    if (form) form.requestSubmit();
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = (ev.target && ev.target.tagName) || "";
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (!items().length) return;
    switch (ev.key) {
      case "j": select(current() + 1); break;
      case "k": select(current() - 1); break;
      case "a": submit("accept"); break;
      case "r": submit("reject"); break;
      case "o":
        var target = items()[current()].getAttribute("data-case");
        if (target) window.location.assign(target);
        break;
      default: return;
    }
    ev.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () { if (items().length) select(0); });
})();
