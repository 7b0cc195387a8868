// The caller's location page: one tap asks the phone for its position and sends it,
// with its accuracy, to the 112 centre. Without this file (or without location on the
// phone) the page's form still takes an address in words.
(function () {
  "use strict";
  var share = document.getElementById("dengan-lokasi");
  var button = document.getElementById("kirim-lokasi");
  var said = document.getElementById("hasil");
  var words = document.getElementById("form-alamat");
  if (!share || !button || !said || !navigator.geolocation || !window.fetch) { return; }
  share.hidden = false;
  var again = function (text) {
    said.textContent = text;
    button.disabled = false;
  };
  var send = function (position) {
    var coords = position.coords;
    fetch(window.location.pathname, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ lat: coords.latitude, lon: coords.longitude, accuracy_m: coords.accuracy }),
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          said.textContent = "Lokasi terkirim (akurasi ± " + Math.round(coords.accuracy) +
            " m). Petugas 112 sudah menerimanya; tetap di tempat yang aman.";
          share.hidden = true;
          if (words) { words.hidden = true; }
        } else {
          again(answer.message || "Lokasi tidak terkirim. Tulis alamat Anda di bawah.");
          if (response.status === 410) { share.hidden = true; if (words) { words.hidden = true; } }
        }
      });
    }).catch(function () {
      again("Lokasi tidak terkirim: periksa sambungan internet, lalu tekan tombolnya lagi.");
    });
  };
  button.addEventListener("click", function () {
    button.disabled = true;
    said.textContent = "Mencari lokasi Anda…";
    navigator.geolocation.getCurrentPosition(send, function (error) {
      again(error.code === 1 ?
        "Akses lokasi ditolak. Izinkan akses lokasi lalu tekan tombolnya lagi, atau tulis alamat Anda di bawah." :
        "Lokasi Anda tidak ditemukan. Tekan tombolnya lagi, atau tulis alamat Anda di bawah.");
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  });
})();
