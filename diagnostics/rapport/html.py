"""The territory report as one self-contained HTML file: charts as SVG images and the map as a PNG, both
inlined as data URIs, no script, no outside request; every string escaped by Jinja's autoescape.

SVG shown through <img> never runs scripts nor follows links, whatever text the charts hold.
"""
from __future__ import annotations

import base64

import jinja2

from ..views.alternatives import alternative
from .contenu import Contenu, type_logo

_GABARIT = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ c.titre }} — {{ c.territoire }}</title>
<style>
  body { font-family: Marianne, Arial, sans-serif; color: #161616; max-width: 1100px; margin: 0 auto; padding: 24px; }
  header { border-bottom: 3px solid #000091; margin-bottom: 24px; }
  header p.surtitre { color: #666; margin: 0; }
  h1 { color: #000091; font-size: 2.2em; margin: 4px 0; }
  h2 { color: #000091; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
  .discret { color: #666; font-size: .9em; }
  img.logo { float: right; max-height: 90px; max-width: 260px; }
  figure { margin: 16px 0; }
  figure img { width: 100%; height: auto; }
  table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: .92em; }
  caption { text-align: left; font-weight: bold; padding: 6px 0; }
  th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: #f0f0ff; }
  td.nombre { text-align: right; white-space: nowrap; }
  section { break-inside: auto; }
  @media print {
    body { max-width: none; padding: 0; }
    section { break-before: page; }
    figure, table { break-inside: avoid; }
  }
  @page { size: A4; margin: 14mm; }
</style>
</head>
<body>
<header>
  {% if logo %}<img class="logo" alt="Logo" src="{{ logo }}">{% endif %}
  <p class="surtitre">{{ c.titre }}</p>
  <h1>{{ c.territoire }}</h1>
  <p>{{ c.sous_titre }}</p>
  <p class="discret">Édité le {{ c.date_edition }}. {{ c.source }}</p>
</header>
{% for s in c.sections %}
<section>
  <h2>{{ s.titre }}</h2>
  {% for t in s.textes if t %}<p>{{ t }}</p>{% endfor %}
  {% if s.carte %}<figure><img alt="Carte : {{ s.titre }}" src="{{ carte(s.carte) }}"></figure>{% endif %}
  {% for g in s.graphiques %}
  {% set alt = alternatives[g.cle] %}<figure><img alt="{{ alt.phrase }}" src="{{ images[g.cle] }}">
    {% if not alt.table.empty %}<details><summary>Données du graphique</summary><table>
      <thead><tr>{% for col in alt.table.columns %}<th scope="col">{{ col }}</th>{% endfor %}</tr></thead>
      <tbody>{% for ligne in alt.table_texte().itertuples(index=False) %}<tr>{% for v in ligne %}<td>{{ v }}</td>{% endfor %}</tr>
      {% endfor %}</tbody></table></details>{% endif %}</figure>
  {% endfor %}
  {% for t in s.tableaux %}
  <table>
    <caption>{{ t.titre }}</caption>
    <thead><tr>{% for col in t.colonnes %}<th scope="col">{{ col }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for ligne in t.lignes %}<tr>{% for v in ligne %}<td{% if v and v[0] in "0123456789—" %} class="nombre"{% endif %}>{{ v }}</td>{% endfor %}</tr>
    {% endfor %}
    </tbody>
  </table>
  {% if t.note %}<p class="discret">{{ t.note }}</p>{% endif %}
  {% endfor %}
</section>
{% endfor %}
<section>
  <h2>Sources et dates</h2>
  <ul>{% for l in c.sources %}<li>{{ l }}</li>{% endfor %}</ul>
</section>
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
    # Each chart's text alternative (WCAG 1.1.1): a sentence as the image's alt, its data in a table.
    textes = {g.cle: alternative(g.figure) for g in contenu.graphiques}
    return _ENVIRONNEMENT.from_string(_GABARIT).render(
        c=contenu, images=svg, logo=logo_uri, carte=lambda png: _data_uri("image/png", png), alternatives=textes
    )
