// Aula's small glue: toasts, native dialogs, and htmx error feedback.
// No inline scripts anywhere (strict CSP); behaviour hangs on data- attributes.
(function () {
  "use strict";

  function autohideToasts(root) {
    (root || document).querySelectorAll(".toast[data-autohide='true']").forEach(function (el) {
      if (el.dataset.timer) return;
      el.dataset.timer = "1";
      setTimeout(function () { el.remove(); }, 8000);
    });
  }

  function showToast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast show align-items-center border-0 mb-2 text-bg-" + (kind || "danger");
    el.setAttribute("role", "alert");
    el.dataset.autohide = "true";
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = message;
    el.appendChild(body);
    box.appendChild(el);
    autohideToasts(box);
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.dialogOpen);
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        dialog.showModal();
        var first = dialog.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
      }
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var d = closer.closest("dialog");
      if (d) { event.preventDefault(); d.close(); }
      return;
    }
    var dismiss = event.target.closest("[data-bs-dismiss='toast']");
    if (dismiss) {
      var t = dismiss.closest(".toast");
      if (t) t.remove();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { autohideToasts(document); });

  document.addEventListener("htmx:afterSwap", function (event) { autohideToasts(document); });

  // The server tells a fragment to close its dialog with HX-Trigger: {"aula:close-dialog": ...}
  document.addEventListener("aula:close-dialog", function () {
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
  });

  document.addEventListener("htmx:responseError", function (event) {
    showToast(document.body.dataset.errorMessage || "Something went wrong. Nothing was changed.");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast(document.body.dataset.offlineMessage || "The server could not be reached. Check your connection and try again.");
  });
})();
