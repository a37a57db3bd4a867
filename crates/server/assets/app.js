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

// "Use my location" on the sign-up form fills the coordinates from the browser.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-locate]");
  if (!button || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (pos) {
    var form = button.form;
    form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
    form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
  });
});

// A confirmation for one button of a form: <button data-confirm-form="Sure?">.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-confirm-form]");
  if (button && !window.confirm(button.getAttribute("data-confirm-form"))) {
    event.preventDefault();
  }
});

// Bulk actions: <input type="checkbox" data-check-all="ids"> ticks every box named "ids".
document.addEventListener("change", function (event) {
  var box = event.target;
  var name = box.getAttribute && box.getAttribute("data-check-all");
  if (name) {
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) {
      b.checked = box.checked;
    });
  }
});
