/* Local map of digital-inclusion places: filters, list kept in step with the map, detail view.
   Every string from the data is inserted with textContent; links are built only from http(s) URLs. */
(function () {
  "use strict";

  var donnees = window.CARTE_LOCALE;
  var LISTE_MAX = 200;
  var lieux = donnees.lieux;
  var selection = null;
  // Readers who asked their system for less motion: the map jumps instead of sliding and zooming.
  var animer = !(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);

  function el(balise, texte, classe) {
    var e = document.createElement(balise);
    if (texte !== undefined && texte !== null) e.textContent = texte;
    if (classe) e.className = classe;
    return e;
  }

  function normaliser(texte) {
    return (texte || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  function lienSur(url) {
    try {
      var u = new URL(url);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : "";
    } catch (e) {
      return "";
    }
  }

  /* Opening hours, parsed once per place, only when a filter or a detail view needs them. */
  function horaires(lieu) {
    if (lieu._horaires !== undefined) return lieu._horaires;
    lieu._horaires = null;
    if (lieu.horaires && typeof opening_hours !== "undefined") {
      try {
        lieu._horaires = new opening_hours(lieu.horaires, {
          lat: lieu.lat === null ? 46.6 : lieu.lat,
          lon: lieu.lon === null ? 2.4 : lieu.lon,
          address: { country_code: "fr", state: "" }
        }, { locale: "fr" });
      } catch (e) {
        lieu._horaires = null;
      }
    }
    return lieu._horaires;
  }

  function ouvertA(lieu, date) {
    var oh = horaires(lieu);
    if (!oh) return null;
    try { return oh.getState(date); } catch (e) { return null; }
  }

  function samediProchain(maintenant) {
    var debut = new Date(maintenant.getFullYear(), maintenant.getMonth(), maintenant.getDate());
    debut.setDate(debut.getDate() + ((6 - debut.getDay() + 7) % 7));
    var fin = new Date(debut.getFullYear(), debut.getMonth(), debut.getDate() + 1);
    return [debut, fin];
  }

  function ouvertSamedi(lieu, maintenant) {
    var oh = horaires(lieu);
    if (!oh) return false;
    var jour = samediProchain(maintenant);
    try { return oh.getOpenIntervals(jour[0], jour[1]).length > 0; } catch (e) { return false; }
  }

  /* ---- map ---- */
  // maxZoom on the map itself: without a tile layer, clustering needs it to know where to stop.
  var carte = L.map("carte", {
    zoomControl: true, attributionControl: true, maxZoom: 19,
    zoomAnimation: animer, fadeAnimation: animer, markerZoomAnimation: animer, inertia: animer
  });
  // Leaflet writes English labels on its zoom buttons: say them in French.
  var boutonsZoom = { "leaflet-control-zoom-in": "Zoomer", "leaflet-control-zoom-out": "Dézoomer" };
  Object.keys(boutonsZoom).forEach(function (classe) {
    var bouton = carte.getContainer().querySelector("." + classe);
    if (bouton) { bouton.title = boutonsZoom[classe]; bouton.setAttribute("aria-label", boutonsZoom[classe]); }
  });
  carte.attributionControl.setPrefix(false);
  if (donnees.tuiles) {
    L.tileLayer(donnees.tuiles, {
      maxZoom: 19,
      attribution: "© contributeurs OpenStreetMap"
    }).addTo(carte);
  }
  var communesAvecContour = donnees.communes.filter(function (c) { return c.geometrie; });
  if (communesAvecContour.length) {
    L.geoJSON({
      type: "FeatureCollection",
      features: communesAvecContour.map(function (c) { return { type: "Feature", properties: {}, geometry: c.geometrie }; })
    }, { style: { color: "#8a94a6", weight: 0.7, fill: donnees.tuiles ? false : true, fillColor: "#ffffff", fillOpacity: 0.6 }, interactive: false }).addTo(carte);
  }
  var contour = null;
  if (donnees.contour) {
    contour = L.geoJSON(donnees.contour, { style: { color: "#333", weight: 2, fill: false }, interactive: false }).addTo(carte);
  }
  function vueInitiale() {
    if (contour) carte.fitBounds(contour.getBounds(), { padding: [10, 10], animate: animer });
    else carte.setView([46.6, 2.4], 6, { animate: animer });
  }
  vueInitiale();

  var groupe = L.markerClusterGroup({
    showCoverageOnHover: false, maxClusterRadius: 50, chunkedLoading: true, animate: animer, animateAddingMarkers: false
  });
  carte.addLayer(groupe);

  function icone(lieu) {
    return L.divIcon({ className: "repere" + (lieu === selection ? " selection" : ""), iconSize: [18, 18], html: "" });
  }

  lieux.forEach(function (lieu) {
    lieu._texte = normaliser(lieu.nom + " " + lieu.commune + " " + lieu.code_postal + " " + lieu.adresse);
    if (lieu.lat === null) return;
    lieu._repere = L.marker([lieu.lat, lieu.lon], { icon: icone(lieu), title: lieu.nom, alt: lieu.nom, keyboard: true });
    lieu._repere.on("click", function () { afficherDetail(lieu, false); });
    lieu._repere.on("add", function () { lieu._repere.getElement().setAttribute("data-id", lieu.id); });
  });
  // Leaflet makes a marker a focusable "button" but opens nothing on Enter: the page does (Enter or Space).
  var parId = {};
  lieux.forEach(function (lieu) { parId[lieu.id] = lieu; });
  carte.getContainer().addEventListener("keydown", function (e) {
    var cible = e.target;
    if ((e.key === "Enter" || e.key === " ") && cible.classList.contains("repere") && parId[cible.getAttribute("data-id")]) {
      e.preventDefault();
      afficherDetail(parId[cible.getAttribute("data-id")], false);
    }
  });

  /* ---- filters ---- */
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-champ]"));
  selects.forEach(function (select) {
    var champ = select.getAttribute("data-champ");
    var nombres = {};
    lieux.forEach(function (lieu) {
      lieu[champ].forEach(function (v) { nombres[v] = (nombres[v] || 0) + 1; });
    });
    Object.keys(nombres).sort(function (a, b) { return a.localeCompare(b, "fr"); }).forEach(function (valeur) {
      var option = el("option", valeur + " (" + nombres[valeur] + ")");
      option.value = valeur;
      select.appendChild(option);
    });
    // A filter no place has a value for is no choice: hidden, so that nobody tabs to an empty list.
    if (!Object.keys(nombres).length) {
      select.hidden = true;
      document.querySelector('label[for="' + select.id + '"]').hidden = true;
    }
  });
  selects = selects.filter(function (s) { return !s.hidden; });
  var recherche = document.getElementById("recherche");
  var ouvertMaintenant = document.getElementById("filtre-ouvert-maintenant");
  var ouvertLeSamedi = document.getElementById("filtre-ouvert-samedi");

  function filtres() {
    return {
      texte: normaliser(recherche.value),
      valeurs: selects.map(function (s) { return [s.getAttribute("data-champ"), s.value]; }).filter(function (p) { return p[1]; }),
      maintenant: ouvertMaintenant.checked,
      samedi: ouvertLeSamedi.checked
    };
  }

  function retenus() {
    var f = filtres();
    var date = new Date();
    return lieux.filter(function (lieu) {
      if (f.texte && lieu._texte.indexOf(f.texte) < 0) return false;
      for (var i = 0; i < f.valeurs.length; i++) {
        if (lieu[f.valeurs[i][0]].indexOf(f.valeurs[i][1]) < 0) return false;
      }
      if (f.maintenant && ouvertA(lieu, date) !== true) return false;
      if (f.samedi && !ouvertSamedi(lieu, date)) return false;
      return true;
    });
  }

  var courants = [];

  function appliquer() {
    courants = retenus();
    groupe.clearLayers();
    groupe.addLayers(courants.filter(function (l) { return l._repere; }).map(function (l) { return l._repere; }));
    document.body.setAttribute("data-nombre-lieux", String(courants.length));
    afficherSuggestions();
    afficherListe();
    annoncer();
  }

  /* Said by screen readers when the filters change (not at each move of the map, which would be noise). */
  var annonce = document.getElementById("annonce");
  function annoncer() {
    var n = courants.length;
    annonce.textContent = n === 0 ? "Aucun lieu ne correspond aux filtres." :
      n + (n > 1 ? " lieux correspondent" : " lieu correspond") + " aux filtres.";
  }

  /* ---- commune search ---- */
  var suggestions = document.getElementById("suggestions");
  function afficherSuggestions() {
    suggestions.textContent = "";
    var texte = normaliser(recherche.value);
    if (texte.length < 2) return;
    donnees.communes.filter(function (c) { return normaliser(c.nom).indexOf(texte) === 0; }).slice(0, 6).forEach(function (c) {
      var bouton = el("button", "Aller à " + c.nom);
      bouton.type = "button";
      bouton.addEventListener("click", function () {
        recherche.value = "";
        appliquer();
        if (c.bbox) carte.fitBounds([[c.bbox[1], c.bbox[0]], [c.bbox[3], c.bbox[2]]], { animate: animer });
        document.getElementById("liste").focus();
      });
      suggestions.appendChild(bouton);
    });
  }

  /* ---- list, in step with the map view ---- */
  var liste = document.getElementById("liste");
  var compte = document.getElementById("compte");

  function afficherListe() {
    var bornes = carte.getBounds();
    var visibles = courants.filter(function (l) { return l._repere && bornes.contains(l._repere.getLatLng()); });
    var sansPosition = courants.filter(function (l) { return !l._repere; });
    var affiches = visibles.concat(sansPosition);
    affiches.sort(function (a, b) { return a.nom.localeCompare(b.nom, "fr"); });
    compte.textContent = courants.length + (courants.length > 1 ? " lieux" : " lieu") +
      " · " + visibles.length + " dans la zone affichée" +
      (sansPosition.length ? " · " + sansPosition.length + " sans position sur la carte" : "");
    liste.textContent = "";
    affiches.slice(0, LISTE_MAX).forEach(function (lieu) {
      var li = el("li");
      var bouton = el("button");
      bouton.type = "button";
      bouton.setAttribute("data-id", lieu.id);
      if (lieu === selection) bouton.setAttribute("aria-current", "true");
      bouton.appendChild(el("span", lieu.nom, "nom"));
      var commune = [lieu.code_postal, lieu.commune].filter(Boolean).join(" ");
      bouton.appendChild(el("span", commune + (lieu._repere ? "" : " · position inconnue"), "lieu-commune"));
      bouton.addEventListener("click", function () { afficherDetail(lieu, true); });
      // One heading per place: screen-reader users jump from place to place with the heading keys.
      var titre = el("h3");
      titre.appendChild(bouton);
      li.appendChild(titre);
      liste.appendChild(li);
    });
    if (affiches.length > LISTE_MAX) {
      liste.appendChild(el("li", "… et " + (affiches.length - LISTE_MAX) + " autres lieux : zoomez ou filtrez pour les voir.", "note"));
    }
    if (!affiches.length) {
      liste.appendChild(el("li", courants.length ? "Aucun lieu dans la zone affichée : dézoomez ou déplacez la carte." :
        "Aucun lieu ne correspond : retirez un filtre.", "note"));
    }
  }

  /* ---- detail view ---- */
  var detail = document.getElementById("detail");
  var detailNom = document.getElementById("detail-nom");
  var detailContenu = document.getElementById("detail-contenu");

  function rubrique(titre, contenu) {
    if (!contenu) return;
    detailContenu.appendChild(el("h3", titre));
    detailContenu.appendChild(contenu);
  }

  function listeTextes(valeurs) {
    if (!valeurs.length) return null;
    var ul = el("ul");
    valeurs.forEach(function (v) { ul.appendChild(el("li", v)); });
    return ul;
  }

  function lien(url, texte) {
    var sur = lienSur(url);
    if (!sur) return el("span", texte || url);
    var a = el("a", texte || url);
    a.href = sur;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function afficherDetail(lieu, depuisListe) {
    var precedent = selection;
    selection = lieu;
    [precedent, lieu].forEach(function (l) {
      if (l && l._repere) {
        l._repere.setIcon(icone(l));
        if (l._repere.getElement()) l._repere.getElement().setAttribute("data-id", l.id);
      }
    });
    detailNom.textContent = lieu.nom;
    detailContenu.textContent = "";
    var adresse = el("p", [lieu.adresse, [lieu.code_postal, lieu.commune].filter(Boolean).join(" ")].filter(Boolean).join(", "));
    rubrique("Adresse", adresse);
    if (!lieu._repere) detailContenu.appendChild(el("p", "Position inconnue : ce lieu n'apparaît pas sur la carte."));
    else if (lieu.position_approximative) detailContenu.appendChild(el("p", "Position approximative (centre de la commune)."));
    if (lieu.presentation) detailContenu.appendChild(el("p", lieu.presentation));
    if (lieu.horaires) {
      var bloc = el("div");
      var etat = ouvertA(lieu, new Date());
      if (etat === true) bloc.appendChild(el("p", "Ouvert en ce moment", "etat-ouvert"));
      else if (etat === false) bloc.appendChild(el("p", "Fermé en ce moment", "etat-ferme"));
      else bloc.appendChild(el("p", "Horaires non lisibles automatiquement : vérifiez auprès du lieu."));
      lieu.horaires.split(";").forEach(function (partie) { if (partie.trim()) bloc.appendChild(el("p", partie.trim())); });
      rubrique("Horaires", bloc);
    } else {
      rubrique("Horaires", el("p", "Non renseignés."));
    }
    rubrique("Services", listeTextes(lieu.services));
    rubrique("Publics", listeTextes(lieu.publics));
    rubrique("Frais", listeTextes(lieu.frais));
    rubrique("Dispositifs", listeTextes(lieu.dispositifs));
    rubrique("Accès", listeTextes(lieu.modalites_acces));
    var contact = el("div");
    if (lieu.telephone) {
      var tel = lieu.telephone.replace(/[\s.]/g, "");
      var p = el("p");
      if (/^\+?\d{6,15}$/.test(tel)) {
        var a = el("a", lieu.telephone);
        a.href = "tel:" + tel;
        p.appendChild(a);
      } else {
        p.textContent = lieu.telephone;
      }
      contact.appendChild(p);
    }
    lieu.courriels.forEach(function (c) { contact.appendChild(el("p", c)); });
    lieu.sites.forEach(function (s) { var p = el("p"); p.appendChild(lien(s)); contact.appendChild(p); });
    if (lieu.prise_rdv) { var r = el("p"); r.appendChild(lien(lieu.prise_rdv, "Prendre rendez-vous en ligne")); contact.appendChild(r); }
    if (lieu.fiche_acces_libre) { var f = el("p"); f.appendChild(lien(lieu.fiche_acces_libre, "Accessibilité (fiche Acceslibre)")); contact.appendChild(f); }
    rubrique("Contact", contact.childNodes.length ? contact : el("p", "Non renseigné."));
    detailContenu.appendChild(el("p", "Données mises à jour le " + (lieu.date_maj || "date inconnue") + "."));
    liste.hidden = true;
    detail.hidden = false;
    detail.focus();
    if (lieu._repere && depuisListe) {
      groupe.zoomToShowLayer(lieu._repere, function () { carte.panTo(lieu._repere.getLatLng(), { animate: animer }); });
    }
  }

  function fermerDetail() {
    var ancien = selection;
    detail.hidden = true;
    liste.hidden = false;
    afficherListe();
    var bouton = Array.prototype.filter.call(liste.querySelectorAll("button[data-id]"), function (b) {
      return ancien && b.getAttribute("data-id") === ancien.id;
    })[0];
    (bouton || liste).focus();
  }

  document.getElementById("fermer-detail").addEventListener("click", fermerDetail);
  detail.addEventListener("keydown", function (e) { if (e.key === "Escape") fermerDetail(); });

  /* ---- wiring ---- */
  var formulaire = document.getElementById("filtres");
  formulaire.addEventListener("submit", function (e) { e.preventDefault(); });
  formulaire.addEventListener("input", appliquer);
  formulaire.addEventListener("change", appliquer);
  formulaire.addEventListener("reset", function () { setTimeout(function () { appliquer(); vueInitiale(); }, 0); });
  carte.on("moveend", afficherListe);

  var pied = document.getElementById("pied");
  pied.textContent = "Données : " + donnees.source.libelle + " (mises à jour le " + (donnees.source.date || "date inconnue") +
    ") · Contours : IGN, INSEE (COG 2026)" + (donnees.tuiles ? " · Fond de carte © contributeurs OpenStreetMap" : "");

  appliquer();
  document.body.setAttribute("data-pret", "1");
})();
