// Actions that cannot be undone ask first: a form with data-confirm="…" is sent only if the person
// agrees to that message. A static file with no inline handler, so a strict CSP allows it.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
