"""The territory report as one self-contained HTML file, the pages of `mise_en_page` one after the
other: charts as SVG images and maps as PNG, inlined as data URIs, no script, no outside request;
every string escaped by Jinja's autoescape. The same document is printed to PDF (pdf.py): on paper
each page is an A4 sheet (the map's landscape) with its title, number and source footer.

Accessibility: lang="fr", one h1 (the territory, on the cover), an h2 per page, landmarks (header,
main, footer), every chart and map with a text alternative (a sentence, and the chart's data as a
table on screen), table headers with scope, text contrast ≥ 4.5:1, no information by colour only.
SVG shown through <img> never runs scripts nor follows links, whatever text the charts hold.
"""
from __future__ import annotations

import base64

import jinja2

from .contenu import Contenu, type_logo
from .mise_en_page import pages

_GABARIT = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ c.titre }} — {{ c.territoire }}</title>
<style>
  html { font-family: Marianne, Arial, sans-serif; color: #161616; font-size: 11pt; line-height: 1.35; }
  body { margin: 0; background: #f2f2f2; }
  .page { box-sizing: border-box; position: relative; background: #fff; width: 190mm; min-height: 277mm;
          margin: 16px auto; padding: 0 0 16mm; box-shadow: 0 1px 4px rgba(0,0,0,.25); }
  .page.paysage { width: 277mm; min-height: 190mm; }
  .page > h2, .page > .corps, .page > .pied { padding-left: 8mm; padding-right: 8mm; }
  .page.imprime > h2, .page.imprime > .corps, .page.imprime > .pied { padding-left: 0; padding-right: 0; }
  h1 { color: #000091; font-size: 26pt; margin: 6mm 0 2mm; line-height: 1.1; }
  h2 { color: #000091; font-size: 17pt; border-bottom: 1px solid #cfcfcf; padding-top: 6mm; padding-bottom: 2mm;
       margin: 0 0 3mm; }
  h3 { font-size: 12pt; margin: 3mm 0 1mm; }
  p { margin: 0 0 2.5mm; }
  .surtitre { color: #4d4d4d; font-size: 13pt; margin: 0; padding-top: 8mm; }
  .discret, .pied, figcaption, .note { color: #4d4d4d; font-size: 9.5pt; }
  .pied { position: absolute; left: 0; right: 0; bottom: 0; display: flex; justify-content: space-between;
          gap: 6mm; border-top: 1px solid #cfcfcf; padding-top: 2mm; padding-bottom: 3mm; }
  .pied .numero { white-space: nowrap; }
  img.logo { float: right; max-height: 22mm; max-width: 60mm; margin-top: 6mm; }
  .chiffres { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; margin: 6mm 0; list-style: none; padding: 0; }
  .chiffres li { background: #eeeef8; padding: 3mm 4mm; }
  .chiffres .valeur { display: block; color: #000091; font-size: 24pt; font-weight: bold; line-height: 1.1; }
  .chiffres .repere { display: block; color: #4d4d4d; font-size: 9.5pt; }
  .couverture .miniature { display: block; width: 95mm; margin: 2mm auto 4mm; }
  ol.retenir { padding-left: 7mm; margin: 2mm 0; }
  ol.retenir li { font-size: 13pt; margin-bottom: 5mm; }
  ol.retenir .appui { display: block; font-size: 9.5pt; color: #4d4d4d; margin-top: 1mm; }
  figure { margin: 2mm 0; }
  figure img { width: 100%; height: auto; display: block; }
  figure.carte img { width: 100%; }
  table { border-collapse: collapse; width: 100%; margin: 2mm 0; font-size: 10pt; }
  caption { text-align: left; font-weight: bold; padding: 1mm 0 2mm; font-size: 11pt; }
  th, td { border: 1px solid #cfcfcf; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
  thead th { background: #eeeef8; }
  td.nombre { text-align: right; white-space: nowrap; }
  details { margin: 1mm 0 3mm; }
  summary { cursor: pointer; color: #000091; }
  ul.sources li { margin-bottom: 2mm; }
  @page { size: A4; margin: 10mm; }
  @page paysage { size: A4 landscape; margin: 10mm; }
  @media print {
    html { background: #fff; }
    body { background: #fff; }
    /* min-height, not height: a page whose content overflows grows onto a second sheet that has no
       footer (the tests catch it) rather than hiding or overlapping anything. */
    .page { margin: 0; box-shadow: none; width: auto; min-height: 276.5mm; padding: 0; break-after: page; }
    .page.paysage { page: paysage; min-height: 189.5mm; width: auto; }
    .page:last-child { break-after: auto; }
    .page > h2, .page > .corps, .page > .pied { padding-left: 0; padding-right: 0; }
    details { display: none; }
  }
</style>
</head>
<body>
{% for p in pages %}
{% if p.genre == "couverture" %}
<header class="page couverture" id="page-{{ p.numero }}">
  <div class="corps">
  {% if logo %}<img class="logo" alt="Logo de l'organisation" src="{{ logo }}">{% endif %}
  <p class="surtitre">{{ c.titre }}</p>
  <h1>{{ c.territoire }}</h1>
  <p>{{ c.sous_titre }}</p>
  <ul class="chiffres" aria-label="Chiffres clés">
  {% for ch in c.chiffres %}<li><span class="valeur">{{ ch.valeur }}</span> {{ ch.libelle }}{% if ch.repere %}<span class="repere">{{ ch.repere }}</span>{% endif %}</li>
  {% endfor %}
  </ul>
  {% if c.miniature %}<img class="miniature" alt="Carte du territoire en miniature : communes colorées selon la distance au lieu le plus proche, lieux en points ; voir la page « Carte du territoire »." src="{{ png(c.miniature) }}">{% endif %}
  <p>Édité le {{ c.date_edition }}{% if c.auteur %} par {{ c.auteur }}{% endif %}.</p>
  <p class="discret">{{ c.source }}</p>
  </div>
  <div class="pied"><span>{{ p.source }}</span><span class="numero">Page {{ p.numero }} sur {{ p.total }}</span></div>
</header>
<main>
{% else %}
<section class="page{% if p.paysage %} paysage{% endif %}" id="page-{{ p.numero }}" aria-labelledby="titre-{{ p.numero }}">
  <h2 id="titre-{{ p.numero }}">{{ p.titre }}</h2>
  <div class="corps">
  {% if p.genre == "retenir" %}
  <ol class="retenir">
  {% for k in c.a_retenir %}<li>{{ k.texte }}<span class="appui">Chiffre : {{ k.chiffre }}. {{ k.source }}</span></li>
  {% endfor %}
  </ol>
  {% elif p.genre == "sources" %}
  <p>Document édité le {{ c.date_edition }}{% if c.auteur %} par {{ c.auteur }}{% endif %}.</p>
  <ul class="sources">{% for l in c.sources %}<li>{{ l }}</li>{% endfor %}</ul>
  {% else %}
  {% for t in p.textes %}<p>{{ t }}</p>{% endfor %}
  {% for b in p.blocs %}
  {% if b == "carte" %}
  <figure class="carte"><img alt="Carte de {{ c.territoire }} : communes colorées selon la distance au lieu d'inclusion numérique le plus proche, zones blanches hachurées, lieux par dispositif ; les chiffres par commune sont dans les tableaux des zones blanches et des priorités." src="{{ png(p.section.carte) }}"></figure>
  {% elif b.figure is defined %}
  <figure>
    <img alt="{{ b.phrase }}" src="{{ images[b.cle] }}">
    <figcaption>{{ b.source }}</figcaption>
  {% set entetes, lignes = b.donnees %}
  {% if lignes %}
  <details><summary>Données du graphique</summary>
  <table>
    <caption>Données : {{ b.titre }}</caption>
    <thead><tr>{% for col in entetes %}<th scope="col">{{ col }}</th>{% endfor %}</tr></thead>
    <tbody>{% for l in lignes %}<tr><th scope="row">{{ l[0] }}</th>{% for v in l[1:] %}<td class="nombre">{{ v }}</td>{% endfor %}</tr>
    {% endfor %}</tbody>
  </table>
  </details>
  {% endif %}
  </figure>
  {% else %}
  <table>
    <caption>{{ b.titre }}</caption>
    <thead><tr>{% for col in b.colonnes %}<th scope="col">{{ col }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for ligne in b.lignes %}<tr><th scope="row">{{ ligne[0] }}</th>{% for v in ligne[1:] %}<td{% if v and v[0] in "0123456789—−+" %} class="nombre"{% endif %}>{{ v }}</td>{% endfor %}</tr>
    {% endfor %}
    </tbody>
  </table>
  {% if b.note %}<p class="note">{{ b.note }}</p>{% endif %}
  {% endif %}
  {% endfor %}
  {% endif %}
  </div>
  <footer class="pied"><span>{{ p.source }}</span><span class="numero">Page {{ p.numero }} sur {{ p.total }}</span></footer>
</section>
{% endif %}
{% endfor %}
</main>
</body>
</html>
"""

_ENVIRONNEMENT = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def _data_uri(mime: str, donnees: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(donnees).decode('ascii')}"


def page(contenu: Contenu, logo: bytes | None = None) -> str:
    """The report as one HTML document (text); `logo` is PNG or JPEG bytes.

    Raises
    ------
    images.ImagesIndisponibles : the charts could not be drawn (no Chromium).
    LogoIllisible : the logo is neither PNG nor JPEG.
    """
    svg = {cle: _data_uri("image/svg+xml", d) for cle, d in contenu.images("svg").items()}
    logo_uri = _data_uri(type_logo(logo), logo) if logo else ""
    return _ENVIRONNEMENT.from_string(_GABARIT).render(
        c=contenu, pages=pages(contenu, "page"), images=svg, logo=logo_uri, png=lambda png: _data_uri("image/png", png)
    )
