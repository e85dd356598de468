// The "send the month's bills" page: a bill's WhatsApp button opens the chat in a new tab (the server records the
// tick and answers with the chat's address); this page marks the row at once, and a reload shows the recorded tick.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-send-bill]");
    if (!form) return;
    var row = form.closest("tr");
    row.classList.add("sent");
    row.querySelector(".send-state").textContent = "Sent just now";
  });
})();
