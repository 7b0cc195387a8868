// The staff console's small helps (the pages work without this file).

// A response template fills its form's text as soon as it is picked (without this
// file its button reloads the report with the text in place).
function sigapFillers(root) {
  "use strict";
  Array.prototype.forEach.call(root.querySelectorAll("select[data-fills]"), function (select) {
    var target = document.getElementById(select.getAttribute("data-fills"));
    var button = select.form && select.form.querySelector("button");
    if (!target) { return; }
    if (button) { button.hidden = true; }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.value) { target.value = option.getAttribute("data-text"); target.focus(); }
    });
  });
}
sigapFillers(document);

// The report page's maps (shared/assets/map.js, loaded with Leaflet where the stack
// names a tile source): a tap on the place map fills the point's two fields, and the
// nearby reports that may be the same are drawn around this one (its point is the
// map's `data-lat` and `data-lon`).
function sigapMaps(root) {
  "use strict";
  var maps = window.sigapMap;
  if (!maps) { return; }
  var placeMap = maps.draw(root.querySelector("#peta-lokasi"));
  var lat = root.querySelector("#lintang");
  var lon = root.querySelector("#bujur");
  if (placeMap && lat && lon) {
    var hint = root.querySelector("#status-titik");
    if (hint) { hint.textContent = "Klik peta untuk menandai titik, atau ketik lintang dan bujurnya."; }
    maps.pin(placeMap, lat, lon, function () {
      var said = root.querySelector("#status-titik");
      if (said) { said.textContent = said.getAttribute("data-pinned") || "Titik ditandai di peta; simpan lokasi untuk memakainya."; }
    });
  }
  var element = root.querySelector("#peta-duplikat");
  var nearby = maps.draw(element);
  if (nearby) {
    var here = element.hasAttribute("data-lat") ?
      [parseFloat(element.getAttribute("data-lat")), parseFloat(element.getAttribute("data-lon"))] : null;
    maps.points(nearby, root.querySelectorAll("#duplikat li[data-lat]"), here);
  }
}
sigapMaps(document);

// A report's actions without a full reload: the form is posted as the browser would,
// and the report the server answers with (after its redirect, or with why not)
// takes the place of the page's main part; the address follows the redirect. The
// photo form goes on to the bucket, so it is left to the browser. Anything that
// is not a report page (the sign-in page after a session ended) is opened as is.
(function () {
  "use strict";
  var main = document.getElementById("isi");
  if (!main || !window.fetch || !window.DOMParser) { return; }
  function inPlace(form) {
    var action = form.getAttribute("action") || "";
    return form.method === "post" && action.indexOf("/konsol/laporan/") === 0 && !/\/foto$/.test(action);
  }
  main.addEventListener("submit", function (event) {
    var form = event.target;
    if (!inPlace(form)) { return; }
    event.preventDefault();
    var button = event.submitter || form.querySelector("button[type=submit]");
    var body = new URLSearchParams(new FormData(form));
    if (button && button.name) { body.append(button.name, button.value); }
    if (button) { button.disabled = true; }
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        var url = new URL(response.url);
        if (url.pathname.indexOf("/konsol/laporan/") !== 0) { window.location.assign(response.url); return; }
        return response.text().then(function (text) {
          var page = new DOMParser().parseFromString(text, "text/html");
          var answer = page.getElementById("isi");
          if (!answer) { window.location.assign(response.url); return; }
          main.innerHTML = answer.innerHTML;
          document.title = page.title;
          if (response.redirected) { window.history.replaceState(null, "", response.url); }
          sigapFillers(main);
          sigapMaps(main);
          var said = main.querySelector(".notice, .problem") || main.querySelector("h1");
          if (said) { said.tabIndex = -1; said.focus(); }
        });
      })
      .catch(function () { form.submit(); });
  });
})();

// The keyboard shortcuts on the queue and the inbox: j / k move between reports,
// Enter or o opens the current one, / goes to the first filter. Never while typing
// in a field.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
  if (rows.length === 0) { return; }
  var current = -1;
  function select(index) {
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows[current].classList.add("current");
    rows[current].focus();
  }
  rows.forEach(function (row, index) {
    row.tabIndex = -1;
    row.addEventListener("focus", function () { if (current !== index) { select(index); } });
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) { return; }
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current - 1); event.preventDefault(); }
    else if ((event.key === "Enter" || event.key === "o") && current >= 0) {
      window.location.href = rows[current].getAttribute("data-href");
      event.preventDefault();
    } else if (event.key === "/") {
      var filter = document.querySelector(".filters select, .filters input");
      if (filter) { filter.focus(); event.preventDefault(); }
    }
  });
  var hint = document.getElementById("shortcuts");
  if (hint) { hint.hidden = false; }
})();

// The command centre's board: the list asked for again every few seconds with the
// ETag of the last answer (an unchanged list is a bodiless 304); an incident not
// seen before shows the alert and sounds a tone until someone says they saw it.
(function () {
  "use strict";
  var list = document.getElementById("daftar-kejadian");
  if (!list || !window.fetch) { return; }
  var every = (parseInt(list.getAttribute("data-poll"), 10) || 5) * 1000;
  var auto = document.getElementById("otomatis");
  if (auto) { auto.hidden = false; }
  var alert = document.getElementById("peringatan");
  var alertText = document.getElementById("peringatan-teks");
  var maps = window.sigapMap;
  var mapElement = document.getElementById("peta-kejadian");
  var map = maps ? maps.draw(mapElement) : null;
  var layer = null;
  var ids = function () {
    return Array.prototype.map.call(list.querySelectorAll("tr[data-id]"), function (row) {
      return row.getAttribute("data-id");
    });
  };
  // Where each incident was last drawn: a new or moved point outside the view widens
  // it to take the point in (the operator's own zoom stays otherwise).
  var placed = {};
  var draw = function (fit) {
    if (!map) { return; }
    if (layer) { layer.remove(); }
    var rows = list.querySelectorAll("tr[data-lat]");
    layer = maps.points(map, rows, null, !fit);
    var view = map.getBounds();
    var widened = false;
    Array.prototype.forEach.call(rows, function (row) {
      var id = row.getAttribute("data-id");
      var point = L.latLng(parseFloat(row.getAttribute("data-lat")), parseFloat(row.getAttribute("data-lon")));
      var changed = !placed[id] || !placed[id].equals(point);
      if (!fit && changed && !view.contains(point)) { view.extend(point); widened = true; }
      placed[id] = point;
    });
    if (widened) { map.fitBounds(view, { maxZoom: 16, padding: [20, 20], animate: false }); }
  };
  var tone = null;
  var sound = function () {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) { return; }
      tone = tone || new Context();
      var beep = tone.createOscillator();
      var gain = tone.createGain();
      beep.frequency.value = 880;
      gain.gain.value = 0.2;
      beep.connect(gain).connect(tone.destination);
      beep.start();
      beep.stop(tone.currentTime + 0.6);
    } catch (ignored) { /* no sound: the alert still shows */ }
  };
  var ringing = null;
  var raise = function (fresh) {
    alertText.textContent = "Kejadian baru: " + fresh.join(", ");
    alert.hidden = false;
    sound();
    if (!ringing) { ringing = window.setInterval(sound, 4000); }
  };
  document.getElementById("peringatan-oke").addEventListener("click", function () {
    alert.hidden = true;
    if (ringing) { window.clearInterval(ringing); ringing = null; }
  });
  // How long ago each incident opened, counted here from the server's clock at
  // the first paint (the polled list leaves it out, or it would change every poll).
  var offset = (parseInt(list.getAttribute("data-now"), 10) * 1000 || Date.now()) - Date.now();
  var ago = function (seconds) {
    if (seconds < 60) { return seconds + " detik"; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + " menit"; }
    return Math.floor(seconds / 3600) + " jam " + Math.floor(seconds % 3600 / 60) + " menit";
  };
  var ages = function () {
    var now = Math.floor((Date.now() + offset) / 1000);
    Array.prototype.forEach.call(list.querySelectorAll(".since[data-opened]"), function (since) {
      since.textContent = ago(Math.max(0, now - parseInt(since.getAttribute("data-opened"), 10))) + " lalu";
    });
  };
  window.setInterval(ages, 1000);
  var known = ids();
  var tag = null;
  draw(true);
  var poll = function () {
    var headers = tag ? { "If-None-Match": tag } : {};
    fetch(window.location.pathname + "?bagian=daftar", { headers: headers, credentials: "same-origin" })
      .then(function (response) {
        // A session that ended sends the page to sign-in: open it as it is.
        if (response.redirected || response.status === 401 || response.status === 403) {
          window.location.reload();
          return;
        }
        if (response.status !== 200) { return; }
        tag = response.headers.get("ETag");
        return response.text().then(function (html) {
          list.innerHTML = html;
          ages();
          var now = ids();
          var fresh = now.filter(function (id) { return known.indexOf(id) < 0; });
          known = now;
          draw(fresh.length > 0);
          if (fresh.length) { raise(fresh); }
        });
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { window.setTimeout(poll, every); });
  };
  window.setTimeout(poll, every);
})();
