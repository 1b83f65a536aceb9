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
    if (event.target.closest("[data-print]")) { window.print(); return; }
    var dismiss = event.target.closest("[data-bs-dismiss='toast']");
    if (dismiss) {
      var t = dismiss.closest(".toast");
      if (t) t.remove();
    }
  });

  // A table wider than the screen scrolls sideways in .table-responsive: fade the edge it can
  // scroll towards (CSS classes scroll-more-start / scroll-more-end) and say so under it, so a
  // phone user sees there is more. The hint is for the eye only: a screen reader reads every column.
  function scrollHint(box) {
    var next = box.nextElementSibling;
    if (next && next.classList.contains("scroll-hint")) return next;
    var hint = document.createElement("p");
    hint.className = "scroll-hint small text-body-secondary";
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = document.body.dataset.scrollHint || "Swipe sideways to see more columns";
    box.insertAdjacentElement("afterend", hint);
    return hint;
  }
  function markScrollable(box) {
    var max = box.scrollWidth - box.clientWidth;
    var left = Math.abs(box.scrollLeft);
    box.classList.toggle("scroll-more-end", max > 1 && left < max - 1);
    box.classList.toggle("scroll-more-start", max > 1 && left > 1);
    var next = box.nextElementSibling;
    if (max > 1) scrollHint(box).hidden = false;
    else if (next && next.classList.contains("scroll-hint")) next.hidden = true;
  }
  function markAllScrollable() {
    document.querySelectorAll(".table-responsive").forEach(markScrollable);
  }
  document.addEventListener("scroll", function (event) {
    var box = event.target;
    if (box && box.classList && box.classList.contains("table-responsive")) markScrollable(box);
  }, true);
  window.addEventListener("resize", markAllScrollable);

  // A group of fields that only applies while a checkbox is unticked (data-off-while-checked="<box id>"):
  // while it is ticked the group is inert (shown dimmed, not editable, still sent with the form) and
  // its note (data-off-note-for="<group id>") says why. Without JavaScript the group stays editable.
  function syncOffWhileChecked(group) {
    var box = document.getElementById(group.dataset.offWhileChecked);
    if (!box) return;
    group.inert = box.checked;
    group.classList.toggle("is-off", box.checked);
    document.querySelectorAll("[data-off-note-for='" + group.id + "']").forEach(function (note) {
      note.hidden = !box.checked;
    });
  }
  function syncAllOffWhileChecked() {
    document.querySelectorAll("[data-off-while-checked]").forEach(syncOffWhileChecked);
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.type === "checkbox") syncAllOffWhileChecked();
  });

  // A <dialog> that htmx fills (a link with hx-target on it, e.g. the CRM's "+ Product") opens once its
  // content arrives, focused on its first field; the same link without JavaScript opens a page.
  function openFilledDialog(target) {
    if (!target || target.tagName !== "DIALOG" || target.open || typeof target.showModal !== "function") return;
    target.showModal();
    var first = target.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    autohideToasts(document); markAllScrollable(); syncAllOffWhileChecked();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    autohideToasts(document); markAllScrollable(); syncAllOffWhileChecked();
    openFilledDialog(event.detail && event.detail.target);
    var host = document.getElementById("dialog-host");
    if (host) openLoadedDialogs(host);
  });

  // A new action clears the toasts of the previous one, so an old "enrolled" toast never sits next
  // to a new refusal. Only requests the user started (a post, a submit, a click) clear them: the
  // background refreshes that follow an action (rows reloaded, progress polling) keep its toast.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = (event.detail && event.detail.requestConfig) || {};
    var trigger = config.triggeringEvent && config.triggeringEvent.type;
    var verb = (config.verb || "get").toLowerCase();
    if (verb === "get" && trigger !== "submit" && trigger !== "click") return;
    var box = document.getElementById("toasts");
    if (box) box.querySelectorAll(".toast").forEach(function (t) { t.remove(); });
  });

  // Dialogs loaded on demand: an opener with hx-get … hx-target="#dialog-host" brings a <dialog>
  // (data-dialog-loaded); it opens at once, and is removed once closed, giving focus back to the opener.
  var dialogOpener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (config && config.target && config.target.id === "dialog-host") dialogOpener = event.detail.elt;
  });
  function openLoadedDialogs(root) {
    root.querySelectorAll("dialog[data-dialog-loaded]:not([open])").forEach(function (dialog) {
      if (typeof dialog.showModal !== "function") return;
      var opener = dialogOpener;
      dialog.addEventListener("close", function () {
        dialog.remove();
        if (opener && document.body.contains(opener)) opener.focus();
      }, { once: true });
      dialog.showModal();
      var first = dialog.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
  }

  // The server tells a fragment to close its dialog with HX-Trigger: {"aula:close-dialog": ...}
  document.addEventListener("aula:close-dialog", function () {
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
  });

  // The student picker (and any [data-combobox]): an input with role=combobox whose listbox htmx fills.
  // Down/Up move through the options, Enter chooses, Escape closes (or clears); a click chooses too.
  // The chosen id goes into the [data-combobox-value] select, which (like the Search button) is only
  // shown without JavaScript (.combobox-fallback, hidden once .combobox-ready is set here).
  function comboboxParts(box) {
    return {
      box: box,
      input: box.querySelector("[role=combobox]"),
      list: box.querySelector("[role=listbox]"),
      select: box.querySelector("[data-combobox-value]")
    };
  }
  function options(p) { return Array.prototype.slice.call(p.list.querySelectorAll("[role=option]:not([aria-disabled=true])")); }
  function setExpanded(p, open) {
    p.list.hidden = !open;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) { p.input.removeAttribute("aria-activedescendant"); }
  }
  function activate(p, option) {
    p.list.querySelectorAll("[role=option]").forEach(function (o) {
      var on = o === option;
      o.setAttribute("aria-selected", on ? "true" : "false");
      o.classList.toggle("active", on);
    });
    if (option) {
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }
  function choose(p, option) {
    var label = option.dataset.label || option.textContent.trim();
    p.select.innerHTML = "";
    var chosen = document.createElement("option");
    chosen.value = option.dataset.value;
    chosen.textContent = label;
    chosen.selected = true;
    p.select.appendChild(chosen);
    p.input.value = label;
    p.box.dataset.chosenLabel = label;
    setExpanded(p, false);
  }
  function enhanceComboboxes(root) {
    root.querySelectorAll("[data-combobox]:not(.combobox-ready)").forEach(function (box) {
      var p = comboboxParts(box);
      if (!p.input || !p.list || !p.select) return;
      box.classList.add("combobox-ready");
      var selected = p.select.options[p.select.selectedIndex];
      if (selected && selected.value) box.dataset.chosenLabel = p.input.value;
      p.input.addEventListener("input", function () {
        if (p.input.value !== box.dataset.chosenLabel) { p.select.value = ""; delete box.dataset.chosenLabel; }
      });
      p.input.addEventListener("keydown", function (event) {
        var all = options(p);
        var current = all.indexOf(p.list.querySelector("[role=option].active"));
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          if (!all.length) return;
          event.preventDefault();
          if (p.list.hidden) { setExpanded(p, true); }
          var next = event.key === "ArrowDown" ? Math.min(current + 1, all.length - 1) : Math.max(current - 1, 0);
          activate(p, all[next]);
        } else if (event.key === "Enter") {
          // Never the no-JavaScript search (the input's own GET form): choose, or search now.
          event.preventDefault();
          if (!p.list.hidden && current >= 0) { choose(p, all[current]); }
          else if (window.htmx) { window.htmx.trigger(p.input, "search"); }
        } else if (event.key === "Escape") {
          if (!p.list.hidden) { event.preventDefault(); setExpanded(p, false); }
          else if (p.input.value) { event.preventDefault(); p.input.value = ""; p.select.value = ""; delete box.dataset.chosenLabel; }
        }
      });
      p.input.addEventListener("blur", function () { setTimeout(function () { setExpanded(p, false); }, 150); });
      p.list.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the focus in the input
      p.list.addEventListener("click", function (event) {
        var option = event.target.closest("[role=option]");
        if (option && option.getAttribute("aria-disabled") !== "true") { choose(p, option); p.input.focus(); }
      });
      p.list.addEventListener("htmx:afterSwap", function () {
        setExpanded(p, document.activeElement === p.input && p.list.children.length > 0);
        activate(p, null);
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhanceComboboxes(document); });
  document.addEventListener("htmx:load", function (event) { enhanceComboboxes(event.detail.elt.parentNode || document); });

  document.addEventListener("htmx:responseError", function (event) {
    showToast(document.body.dataset.errorMessage || "Something went wrong. Nothing was changed.");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast(document.body.dataset.offlineMessage || "The server could not be reached. Check your connection and try again.");
  });
})();
