// Marks the page once htmx is running: "Save" buttons of auto-submitting forms are then hidden
// (a change submits at once). Without JavaScript, or if htmx failed to load, the buttons stay.
if (window.htmx) {
  document.documentElement.classList.add("htmx-ready");
  // The button a keyboard user pressed is replaced by the swap: put focus on the status
  // message that says what happened, so they are not thrown back to the top of the page.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var status = document.querySelector("#" + event.detail.target.id + " [role=status]");
    if (!status) {
      status = document.querySelector("#feed [role=status], #my-actions [role=status]");
    }
    if (status && status.textContent.trim()) {
      status.setAttribute("tabindex", "-1");
      status.focus({ preventScroll: true });
    }
  });
}
