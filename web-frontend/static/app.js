// web-frontend: progressive enhancement only; every page works without
// this script. Loaded from /static/ (CSP script-src 'self').
(function () {
  "use strict";
  var body = document.body;
  var lang = document.documentElement.lang || undefined;

  // Times in the reader's own time zone: <time datetime data-local>.
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  } catch (e) {
    fmt = null;
  }
  document.querySelectorAll("time[datetime][data-local]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (fmt && !isNaN(d)) {
      el.title = el.textContent;
      el.textContent = fmt.format(d);
    }
  });

  // Show-password toggle and caps-lock warning on every password field.
  var show = body.getAttribute("data-show-password");
  var hide = body.getAttribute("data-hide-password");
  var caps = body.getAttribute("data-caps-lock");
  document.querySelectorAll('input[type="password"]').forEach(function (input, i) {
    if (!input.id || input.closest(".inline-form")) {
      return;
    }
    var wrap = document.createElement("div");
    wrap.className = "password-wrap";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);

    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-secondary button-small reveal";
    button.textContent = show;
    button.setAttribute("aria-controls", input.id);
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      var visible = input.type === "password";
      input.type = visible ? "text" : "password";
      button.textContent = visible ? hide : show;
      button.setAttribute("aria-pressed", visible ? "true" : "false");
    });
    wrap.appendChild(button);

    var warning = document.createElement("p");
    warning.className = "caps-warning";
    warning.id = input.id + "-caps";
    warning.setAttribute("role", "status");
    warning.hidden = true;
    warning.textContent = caps;
    wrap.parentNode.insertBefore(warning, wrap.nextSibling);
    var check = function (ev) {
      if (ev.getModifierState) {
        warning.hidden = !ev.getModifierState("CapsLock");
      }
    };
    input.addEventListener("keydown", check);
    input.addEventListener("keyup", check);
    input.addEventListener("blur", function () { warning.hidden = true; });
  });

  // When a form comes back with errors, put the cursor in the first one.
  var invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid) {
    invalid.focus();
  }
})();
