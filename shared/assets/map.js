// The maps both screens draw, the citizen pages' and the console's: Leaflet (loaded
// just before this file) over the deployment's tiles, named by the map's element.
// A page without JavaScript never loads this and works without a map.
window.sigapMap = (function () {
  var BANDUNG = [-6.9175, 107.6191];

  // Draws the map `element` stands for, centred on the city; null where there is none.
  var draw = function (element) {
    if (!element || !window.L) { return null; }
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false }).setView(BANDUNG, 13);
    L.tileLayer(element.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: element.getAttribute("data-attribution"),
    }).addTo(map);
    return map;
  };

  // One point the person sets, kept in two inputs: the circle follows them, and a tap
  // on the map fills them (then `placed` says so).
  var pin = function (map, latInput, lonInput, placed) {
    var marker = null;
    var show = function () {
      var lat = parseFloat(latInput.value.replace(",", "."));
      var lon = parseFloat(lonInput.value.replace(",", "."));
      if (isNaN(lat) || isNaN(lon)) { return; }
      if (marker) { marker.setLatLng([lat, lon]); }
      else { marker = L.circleMarker([lat, lon], { radius: 10, color: "#b00020" }).addTo(map); }
      map.setView([lat, lon], Math.max(map.getZoom(), 16));
    };
    var set = function (lat, lon) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      show();
      latInput.dispatchEvent(new Event("change", { bubbles: true }));
    };
    show();
    latInput.addEventListener("change", show);
    lonInput.addEventListener("change", show);
    map.on("click", function (event) {
      set(event.latlng.lat, event.latlng.lng);
      if (placed) { placed(); }
    });
    return set;
  };

  // A list's items with `data-lat` and `data-lon` as circles, each opening its link
  // (and its `data-track`, the positions reported since, as a dashed line),
  // and `here` (the page's own point, or null) in red. The view fits them all unless
  // `stay`. Answers the circles' layer, for a list drawn again to replace.
  var points = function (map, items, here, stay) {
    var layer = L.layerGroup().addTo(map);
    var at = [];
    if (here) {
      L.circleMarker(here, { radius: 10, color: "#b00020" }).addTo(layer);
      at.push(here);
    }
    items.forEach(function (item) {
      var point = [parseFloat(item.getAttribute("data-lat")), parseFloat(item.getAttribute("data-lon"))];
      var circle = L.circleMarker(point, { radius: 8 });
      var link = item.querySelector("a");
      if (link) {
        var popup = document.createElement("a");
        popup.href = link.getAttribute("href");
        popup.textContent = link.textContent;
        circle.bindPopup(popup);
      }
      circle.addTo(layer);
      at.push(point);
      // The positions reported since (`data-track`, oldest first) as a line.
      var track = (item.getAttribute("data-track") || "").split(" ").filter(Boolean).map(function (pair) {
        return pair.split(",").map(parseFloat);
      });
      if (track.length > 1) { L.polyline(track, { weight: 3, dashArray: "6 4" }).addTo(layer); }
    });
    if (at.length && !stay) { map.fitBounds(at, { maxZoom: 16, padding: [20, 20], animate: false }); }
    return layer;
  };

  return { draw: draw, pin: pin, points: points };
})();
