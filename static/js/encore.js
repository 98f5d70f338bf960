// Marks the page once htmx is running: "Save" buttons of auto-submitting forms are then hidden
// (a change submits at once). Without JavaScript, or if htmx failed to load, the buttons stay.
if (window.htmx) {
  document.documentElement.classList.add("htmx-ready");
}
