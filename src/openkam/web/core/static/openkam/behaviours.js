// Small page behaviours wired by data attributes, so that no template needs an inline
// script or an on…= handler (the Content Security Policy allows scripts from files only).
//   data-autosubmit                 a select (or input) submits its form when changed
//   data-autosubmit-clear="name"    … after emptying the form's field "name"
//   data-confirm="question"         a button or link asks before it acts
//   data-select-on-click            an input selects its whole text when clicked
(() => {
  document.addEventListener("change", (event) => {
    const el = event.target.closest("[data-autosubmit]");
    if (!el || !el.form) return;
    const clear = el.dataset.autosubmitClear;
    if (clear && el.form.elements[clear]) el.form.elements[clear].value = "";
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  });
  document.addEventListener("click", (event) => {
    const ask = event.target.closest("[data-confirm]");
    if (ask && !window.confirm(ask.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    const select = event.target.closest("[data-select-on-click]");
    if (select && typeof select.select === "function") select.select();
  });
})();
