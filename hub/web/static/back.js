/* The error page's 返回上一页: shown, and going back, only where a script runs (the pages' policy allows
   no javascript: link). */
document.querySelectorAll("[data-back]").forEach(function (button) {
  "use strict";
  button.hidden = false;
  button.addEventListener("click", function () { history.back(); });
});
