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
        set.hidden = set.getAttribute("data-category") !== category.value;
      });
    };
    category.addEventListener("change", show);
    show();
  }

  // The phone's position, only when the person asks for it.
  var geo = document.querySelector(".geo");
  var use = document.getElementById("pakai-lokasi");
  if (geo && use && navigator.geolocation) {
    geo.hidden = false;
    var status = document.getElementById("status-lokasi");
    use.addEventListener("click", function () {
      status.textContent = document.documentElement.lang === "en" ? "Finding your position…" : "Mencari lokasi…";
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("lat").value = position.coords.latitude.toFixed(6);
        document.getElementById("lon").value = position.coords.longitude.toFixed(6);
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

  // Focus the list of problems after a refused form, for keyboards and screen readers.
  var summary = document.getElementById("ringkasan-galat");
  if (summary) { summary.focus(); }
})();
