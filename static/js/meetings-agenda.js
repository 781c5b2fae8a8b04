// Agenda builder: after adding, editing or moving an item the page reloads at #item-N.
// Put the keyboard focus on that item, so keyboard and screen reader users keep their place.
(function () {
  "use strict";
  var id = window.location.hash.slice(1);
  if (!/^item-\d+$/.test(id)) {
    return;
  }
  var target = document.getElementById(id);
  if (target) {
    target.focus();
  }
})();
