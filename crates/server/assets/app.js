// Confirmation before destructive actions: <form data-confirm="Are you sure?">.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Live character counters: <textarea data-counter="id-of-count-span">.
document.addEventListener("input", function (event) {
  var el = event.target;
  var target = el.getAttribute && el.getAttribute("data-counter");
  if (target) {
    var span = document.getElementById(target);
    if (span) span.textContent = String(el.value.length);
  }
});

// Counters start with the length of the text the page was served with.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-counter]").forEach(function (el) {
    var span = document.getElementById(el.getAttribute("data-counter"));
    if (span) span.textContent = String(el.value.length);
  });
});
