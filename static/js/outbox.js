// The outbox batch page: while messages are still waiting, poll the batch's status.json
// every few seconds and update the counts and the aria-live summary. Without JavaScript
// the page shows the counts as they were when it loaded, with a link to reload it.
(function () {
  "use strict";

  var POLL_EVERY_MS = 4000;
  var region = document.getElementById("outbox-live");
  if (!region || !window.fetch) {
    return;
  }
  var url = region.getAttribute("data-status-url");
  if (!url || Number(region.getAttribute("data-pending")) === 0) {
    return;
  }

  function update(data) {
    Object.keys(data.counts || {}).forEach(function (status) {
      var cell = document.querySelector('[data-status-count="' + status + '"]');
      if (cell) {
        cell.textContent = String(data.counts[status]);
      }
    });
    // Only a changed sentence is written, so screen readers announce news, not every poll.
    if (data.summary && region.textContent !== data.summary) {
      region.textContent = data.summary;
    }
    region.setAttribute("data-pending", String(data.pending));
    // The meeting pack's page: its progress bar follows, and the finished page replaces the waiting one.
    var bar = document.getElementById("pack-progress");
    if (bar && data.counts && data.counts.total) {
      bar.max = data.counts.total;
      bar.value = data.counts.done;
    }
    if (bar && (data.state === "ready" || data.state === "failed")) {
      window.location.reload();
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        update(data);
        if (data.pending > 0) {
          window.setTimeout(poll, POLL_EVERY_MS);
        }
      })
      .catch(function () {
        // Signed out or offline: stop quietly; the reload link still works.
      });
  }

  window.setTimeout(poll, POLL_EVERY_MS);
})();
