// LAPOR! Bandung: small enhancements. Every page works without this file.
(function () {
  "use strict";

  // "Call 112" as soon as an emergency word is typed (the server's receipt says it too).
  var text = document.getElementById("description");
  var advice = document.getElementById("saran-darurat");
  if (text && advice) {
    var words = (text.getAttribute("data-emergency-words") || "").split("|").filter(Boolean);
    var check = function () {
      var typed = " " + text.value.toLowerCase().replace(/\s+/g, " ") + " ";
      advice.hidden = !words.some(function (w) { return typed.indexOf(w) >= 0; });
    };
    text.addEventListener("input", check);
    check();
  }

  // Only the chosen category's questions (without JavaScript, all are listed).
  var category = document.getElementById("category");
  if (category) {
    var show = function () {
      document.querySelectorAll("fieldset.questions").forEach(function (set) {
        set.classList.toggle("chosen", set.getAttribute("data-category") === category.value);
      });
    };
    category.addEventListener("change", show);
    show();
  }

  // Maps, where the page has one (shared/assets/map.js, loaded with Leaflet).
  var maps = window.sigapMap;
  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  var pinMap = maps ? maps.draw(document.getElementById("peta-lapor")) : null;
  // The report's point: a tap on the map, or the phone's position, fills lat and lon.
  var place = function (lat, lon) {
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    latInput.dispatchEvent(new Event("change", { bubbles: true }));
  };
  if (pinMap && latInput && lonInput) {
    place = maps.pin(pinMap, latInput, lonInput, function () {
      var said = document.getElementById("status-lokasi");
      if (said) {
        said.textContent = document.documentElement.lang === "en" ? "Place marked on the map." : "Titik ditandai di peta.";
      }
    });
  }
  // The public list on a map: one circle per report with a point, linked to its page.
  var listMap = maps ? maps.draw(document.getElementById("peta-sekitar")) : null;
  if (listMap) { maps.points(listMap, document.querySelectorAll("#daftar li[data-lat]")); }

  // The phone's position, only when the person asks for it.
  var geo = document.querySelector(".geo");
  var use = document.getElementById("pakai-lokasi");
  if (geo && use && !navigator.geolocation) { geo.hidden = true; }
  if (geo && use && navigator.geolocation) {
    var status = document.getElementById("status-lokasi");
    use.addEventListener("click", function () {
      status.textContent = document.documentElement.lang === "en" ? "Finding your position…" : "Mencari lokasi…";
      navigator.geolocation.getCurrentPosition(function (position) {
        place(position.coords.latitude, position.coords.longitude);
        var en = document.documentElement.lang === "en";
        status.textContent = (en ? "Phone position set (±" : "Lokasi ponsel terpasang (±") +
          Math.round(position.coords.accuracy) + " m).";
      }, function () {
        status.textContent = document.documentElement.lang === "en" ? "No position: fill in the address instead." :
          "Lokasi tidak didapat: isi alamat saja.";
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // The private link carries the reporter code in its fragment, which no request
  // sends: hand it to the sign-in form once, then drop it from the address bar.
  var match = /^#kode=([0-9a-f]{16,128})$/.exec(window.location.hash);
  var signIn = document.getElementById("masuk");
  if (match && signIn) {
    history.replaceState(null, "", window.location.pathname);
    signIn.querySelector("input[name=kode]").value = match[1];
    signIn.submit();
  }

  // Drafts: the report form is kept on the phone as it is typed (with its key), so
  // a dropped connection loses nothing; sent while offline, it waits and goes out
  // when the phone is back online, under the same key: never filed twice.
  var form = document.querySelector("form.report");
  var DRAFT = "sigap-draft";
  var english = document.documentElement.lang === "en";
  if (/[?&]diterima=1/.test(window.location.search)) {
    try { localStorage.removeItem(DRAFT); } catch (e) { /* storage off: nothing kept */ }
  }
  if (form && window.localStorage && window.fetch) {
    var note = document.getElementById("draf");
    var say = function (id, en) { note.textContent = english ? en : id; note.hidden = false; };
    var save = function (pending) {
      var fields = [];
      new FormData(form).forEach(function (value, name) { fields.push([name, value]); });
      try { localStorage.setItem(DRAFT, JSON.stringify({ fields: fields, pending: !!pending })); } catch (e) { /* full */ }
    };
    var load = function () {
      try { return JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch (e) { return null; }
    };
    var send = function () {
      var draft = load();
      if (!draft) { return; }
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(draft.fields),
        credentials: "same-origin",
      }).then(function (response) {
        if (response.redirected && /\/laporan\//.test(response.url)) {
          localStorage.removeItem(DRAFT);
          window.location.assign(response.url);
        } else {
          // Refused (a field, a limit): show the server's answer the plain way.
          draft.pending = false;
          localStorage.setItem(DRAFT, JSON.stringify(draft));
          form.submit();
        }
      }, function () {
        say("Belum tersambung. Laporan tersimpan di ponsel dan dikirim otomatis saat sinyal kembali.",
          "Not connected. The report is kept on this phone and sent as soon as the connection returns.");
      });
    };
    var saved = load();
    if (saved && !document.getElementById("ringkasan-galat")) {
      saved.fields.forEach(function (pair) {
        var input = form.elements.namedItem(pair[0]);
        if (!input) { return; }
        if (input.type === "checkbox") { input.checked = true; }
        else if (input instanceof RadioNodeList) {
          input.forEach(function (box) { if (box.value === pair[1]) { box.checked = true; } });
        } else { input.value = pair[1]; }
      });
      if (category) { category.dispatchEvent(new Event("change")); }
      // The map's circle follows its inputs' change.
      if (latInput) { latInput.dispatchEvent(new Event("change")); }
      say("Draf laporan Anda dipulihkan dari ponsel ini.", "Your draft report was restored from this phone.");
      if (saved.pending) { send(); }
    }
    form.addEventListener("input", function () { save(false); });
    form.addEventListener("change", function () { save(false); });
    form.addEventListener("submit", function (event) {
      save(!navigator.onLine);
      if (!navigator.onLine) {
        event.preventDefault();
        say("Tidak ada sinyal. Laporan tersimpan di ponsel dan dikirim otomatis saat tersambung lagi.",
          "No connection. The report is kept on this phone and sent automatically once you are back online.");
      }
    });
    window.addEventListener("online", function () {
      var draft = load();
      if (draft && draft.pending) { send(); }
    });
  }

  // A photo shrunk on the phone before it is sent (the display copy's longest side,
  // JPEG), in the same file field, so the plain form sends it to the bucket as is.
  var upload = document.getElementById("unggah-foto");
  var picker = document.getElementById("foto");
  if (upload && picker && window.DataTransfer && window.createImageBitmap && HTMLCanvasElement.prototype.toBlob) {
    var english = document.documentElement.lang === "en";
    var note = document.getElementById("status-foto");
    var type = document.getElementById("jenis-foto");
    var edge = parseInt(upload.getAttribute("data-max-edge"), 10) || 1600;
    var send = upload.querySelector("button[type=submit]");
    var busy = false;
    var working = function (on) { busy = on; send.disabled = on; };
    var kb = function (bytes) { return Math.round(bytes / 1024) + " KB"; };
    picker.addEventListener("change", function () {
      var file = picker.files && picker.files[0];
      if (!file || busy) { return; }
      type.value = file.type || "image/jpeg";
      working(true);
      createImageBitmap(file).then(function (bitmap) {
        var scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          working(false);
          if (!blob || blob.size >= file.size) { return; }
          var smaller = new DataTransfer();
          smaller.items.add(new File([blob], "foto.jpg", { type: "image/jpeg" }));
          picker.files = smaller.files;
          type.value = "image/jpeg";
          note.textContent = (english ? "Photo made smaller to save data: " : "Foto diperkecil agar hemat kuota: ") +
            kb(file.size) + " \u2192 " + kb(blob.size);
        }, "image/jpeg", 0.82);
      }, function () { working(false); });
    });
  }

  // Focus the list of problems after a refused form, for keyboards and screen readers.
  var summary = document.getElementById("ringkasan-galat");
  if (summary) { summary.focus(); }
})();
