"""Dutch-like news articles for the pipeline benchmark (bench/pipeline.py): pages, quotes.

The link benchmark's pages draw every word from about 90 words, which is fine for a status
check but not for quote location: every word trigram would then occur in thousands of pages.
Here words follow a Zipf law over a vocabulary of real Dutch function and content words
plus compounds of real stems (woning+bouw+plan), about 20,000 types, so a sentence of 10+
words occurs in one page only, as on the web.

- `page_html(k)` is article page `k`: 3-10 KB of HTML with a cookie bar, header and nav, the
  article (h1, byline, 4-12 paragraphs, some with speech and an attribution:
  `‘…,’ zegt wethouder Jansen.`), a "Lees ook" sidebar, a newsletter box and a footer.
  Deterministic in `k`.
- `article_paragraphs(k)` is the article's paragraphs as plain text (what extraction
  should give), from which `make_quotes` cuts quotations.
- `make_quotes(n_pages, cut, invented, seed)` gives quotes.csv rows: `cut` quotes taken from
  as many distinct pages (a quarter of them with one word changed, dropped or added) and
  `invented` ones that stand in no page.

Stdlib only.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

FUNCTION_WORDS = (
    "de van het een en in is dat op te voor met zijn die niet aan er om ook als bij door "
    "naar maar dan over uit nog wordt worden tot kan heeft hebben meer deze of wel al moet "
    "zo geen nu was zich na onder tegen hun ze we wij wil gaat zal zou veel daar hier "
    "omdat want toch wat wie hoe waar wanneer dus zoals binnen tussen zonder sinds tijdens "
    "volgens via per elk elke alle iedereen niemand iets niets samen eerst later straks "
    "vaak soms altijd nooit steeds weer echter bovendien daarom daarnaast inmiddels"
).split()

CONTENT_WORDS = (
    "gemeente inwoners raad college plan besluit budget wijk straat school zorg "
    "samenwerking overheid provincie rijk regio afspraken uitvoering geld jaar maanden "
    "volgend eerste nieuwe belangrijke lokale landelijke financiële zegt vindt krijgen "
    "werken bouwen betalen praten wethouder burgemeester ambtenaren bewoners ondernemers "
    "verenigingen beleid toekomst opgave ruimte wonen werk energie water natuur veiligheid "
    "woningen huurders kosten miljoen euro procent onderzoek rapport advies minister "
    "kabinet Kamer wet regels gemeenten provincies waterschappen taken middelen tekort "
    "begroting jeugdzorg Wmo participatie bijstand armoede schulden wachtlijsten "
    "zorgaanbieders huisartsen scholen leraren kinderen ouderen jongeren gezinnen "
    "dorpen steden centrum buitengebied boeren stikstof natuurgebieden dijken rivieren "
    "fietspaden wegen bussen treinen station parkeren laadpalen zonnepanelen windmolens "
    "warmtenet aardgas isolatie klimaat duurzaam haalbaar betaalbaar snel langzaam "
    "moeilijk eenvoudig duidelijk onduidelijk noodzakelijk mogelijk onmogelijk groot klein "
    "hoog laag oud jong sterk zwak goed slecht beter slechter belangrijk gezamenlijk "
    "zorgen vragen antwoorden beslissen kiezen helpen ondersteunen investeren bezuinigen "
    "verbeteren versterken uitbreiden afschaffen invoeren aanpassen wijzigen bespreken "
    "overleggen onderhandelen afspreken nakomen controleren toezien handhaven vergunnen "
    "verlenen aanvragen indienen behandelen beoordelen goedkeuren afwijzen uitstellen "
    "ideeën één café coördinatie financiën privé reëel geïnteresseerd België efficiënt "
    "knelpunten signalen zorgen kansen risico's gevolgen oplossingen maatregelen "
    "initiatieven projecten programma's trajecten stappen fasen doelen resultaten "
    "cijfers gegevens bronnen meldingen klachten bezwaren procedures rechter uitspraak "
    "inspraak bijeenkomst avond ochtend week maand dag vandaag gisteren morgen binnenkort"
).split()

STEMS = (
    "woning bouw plan zorg jeugd school water weg fiets energie warmte klimaat natuur "
    "stikstof dijk rivier haven spoor bus trein station park wijk buurt dorp stad land "
    "regio rijk raad college burger inwoner ondernemer vereniging sport cultuur museum "
    "bibliotheek theater muziek kunst erfgoed monument kerk markt winkel kantoor bedrijf "
    "industrie landbouw veeteelt akker bos duin strand kust zee meer polder gemaal sluis "
    "brug tunnel kruising rotonde stoep plein straat laan kade gracht verlichting riool "
    "afval grondstof recycling huur koop prijs kosten geld subsidie belasting heffing "
    "lasten fonds begroting budget tekort overschot schuld armoede bijstand uitkering "
    "werk baan arbeid opleiding stage diploma leraar docent leerling student onderzoek "
    "kennis data informatie privacy digitaal loket balie dienst overleg akkoord contract "
    "vergunning handhaving toezicht veiligheid politie brandweer ambulance crisis rampen "
    "gezondheid preventie huisarts ziekenhuis apotheek verpleging thuiszorg mantelzorg "
    "ouderen jongeren kinderen gezin opvang pleegzorg taal integratie inburgering asiel"
).split()


def _vocabulary() -> list[str]:
    """Word types in rank order: function words, content words, then compounds."""
    words = list(dict.fromkeys(FUNCTION_WORDS + CONTENT_WORDS))
    rng = random.Random(2026)
    seen = set(words)
    pairs = list(itertools.permutations(STEMS, 2))
    rng.shuffle(pairs)
    for a, b in pairs:
        link = "s" if rng.random() < 0.2 and not a.endswith("s") else ""
        word = a + link + b
        if word not in seen:
            seen.add(word)
            words.append(word)
        if len(words) >= 20_000:
            break
    return words


VOCAB = _vocabulary()
# Running text is about half function words, as in Dutch news (de ≈ 7 %), 42 % content words
# and 8 % compounds, each group Zipf-distributed (exponents 1, 0.6 and 0.8: no content word
# above 2 %), so that new compounds keep turning up as in news text.
N_FUNCTION = len(dict.fromkeys(FUNCTION_WORDS))
N_REAL = len(dict.fromkeys(FUNCTION_WORDS + CONTENT_WORDS))
FUNCTION_SHARE = 0.50
COMPOUND_SHARE = 0.08


def _zipf(n: int, exponent: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (r + 1) ** exponent for r in range(n)))


_GROUPS = [(0, _zipf(N_FUNCTION, 1.0)), (N_FUNCTION, _zipf(N_REAL - N_FUNCTION, 0.6)),
           (N_REAL, _zipf(len(VOCAB) - N_REAL, 0.8))]

PLACES = ["Zwolle", "Utrecht", "Groningen", "Leeuwarden", "Den Bosch", "Arnhem", "Delft",
          "Enschede", "Maastricht", "Haarlem", "Almere", "Tilburg", "Deventer", "Assen",
          "Leiden", "Breda", "Emmen", "Venlo", "Hoorn", "Zeist", "Ede", "Oss", "Goes"]
NAMES = ["Jansen", "De Vries", "Bakker", "Visser", "Smit", "Meijer", "De Boer", "Mulder",
         "De Groot", "Bos", "Vos", "Peters", "Hendriks", "Van Dijk", "Dekker", "Brouwer",
         "Kaya", "El Amrani", "Yilmaz", "Van der Meer", "Postma", "Kok", "Willems"]
ROLES = ["wethouder", "burgemeester", "gedeputeerde", "raadslid", "directeur",
         "woordvoerder", "projectleider", "voorzitter", "onderzoeker", "bewoner"]
TOPICS = ["woningbouw", "de energietransitie", "jeugdzorg", "de Omgevingswet",
          "dijkversterking", "het openbaar vervoer", "schuldhulpverlening", "participatie",
          "de regionale energiestrategie", "stikstof", "laadpalen", "het sociaal domein"]
THEMES = ["financiën", "samenwerking", "uitvoering", "wonen", "zorg", "klimaat"]


def _word(rng: random.Random) -> str:
    x = rng.random()
    start, cum = _GROUPS[0 if x < FUNCTION_SHARE else 2 if x > 1 - COMPOUND_SHARE else 1]
    return VOCAB[start + bisect.bisect(cum, rng.random() * cum[-1])]


def _words(rng: random.Random, n: int) -> list[str]:
    return [_word(rng) for _ in range(n)]


def plain_sentence(rng: random.Random, low: int = 8, high: int = 24) -> str:
    """One sentence: Zipf words, sometimes a comma, a capital and an end mark."""
    words = _words(rng, rng.randint(low, high))
    if len(words) > 10 and rng.random() < 0.4:
        cut = rng.randint(4, len(words) - 4)
        words[cut] += ","
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".....?!")


@dataclass
class Sentence:
    """One sentence of an article: `text` as it stands in the page's text, and `spoken`,
    the quoted words alone when it is speech (what a document would quote)."""

    text: str
    spoken: str | None = None


def headline(k: int) -> str:
    """Page `k`'s headline (its own seed, so the sidebar can name other pages cheaply)."""
    rng = random.Random(k * 7919 + 3)
    return (f"{rng.choice(PLACES)}: {rng.choice(ROLES)} {rng.choice(NAMES)} over "
            f"{rng.choice(TOPICS)}")


def article(k: int) -> tuple[str, str, list[list[Sentence]]]:
    """Page `k`'s title, byline and paragraphs (deterministic in k)."""
    rng = random.Random(k * 1_000_003 + 17)
    title = headline(k)
    byline = (f"Door {rng.choice(NAMES)} · {rng.randint(1, 28)} "
              f"{rng.choice(['januari', 'maart', 'juni', 'oktober'])} 20{rng.randint(18, 25)}")
    paragraphs = []
    for _ in range(rng.randint(4, 12)):
        para = []
        for _ in range(rng.randint(2, 6)):
            if rng.random() < 0.15:
                spoken = plain_sentence(rng, 8, 20)
                body = spoken[:-1]
                who = f"{rng.choice(ROLES)} {rng.choice(NAMES)}"
                para.append(Sentence(f"‘{body},’ zegt {who}.", spoken))
            else:
                para.append(Sentence(plain_sentence(rng)))
        paragraphs.append(para)
    return title, byline, paragraphs


def article_paragraphs(k: int) -> list[list[Sentence]]:
    return article(k)[2]


def page_title(k: int) -> str:
    return f"{headline(k)} | Binnenlands Nieuws"


def page_html(k: int, pages: int, pad: bool = False) -> str:
    """Article page `k` of a site of `pages` pages, 3-10 KB. With `pad`, the page also holds
    two server-side includes (nginx `ssi on`) of `/pad/head-<v>.html` and
    `/pad/body-<v>.html`, `v = k % PAD_VARIANTS` (see `pad_files`), which bring the page
    served to 50-150 KB as on real news sites."""
    title, byline, paragraphs = article(k)
    rng = random.Random(k)
    body = "\n".join(
        "    <p>" + " ".join(s.text for s in para) + "</p>" for para in paragraphs
    )
    related = "\n".join(
        f'      <li><a href="/nieuws/{j}/">{headline(j)}</a></li>'
        for j in (rng.randrange(pages) for _ in range(5))
    )
    v = k % PAD_VARIANTS
    head_pad = f'<!--# include file="/pad/head-{v}.html" -->\n' if pad else ""
    body_pad = f'<!--# include file="/pad/body-{v}.html" -->\n' if pad else ""
    return f"""<!DOCTYPE html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <title>{title} | Binnenlands Nieuws</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta property="og:title" content="{title}">
  <meta property="og:type" content="article">
  <link rel="stylesheet" href="/static/site.css">
  <script>window.dataLayer = window.dataLayer || []; dataLayer.push({{page: "{k}"}});</script>
{head_pad}</head>
<body>
  <div class="cookiebar" role="dialog">Wij gebruiken cookies om de site te verbeteren en om
    advertenties te tonen. <a href="/privacy">Meer weten</a> <button>Akkoord</button>
    <button>Alleen noodzakelijke cookies</button></div>
{body_pad}  <header class="site-header"><a class="logo" href="/">Binnenlands Nieuws</a>
    <nav><ul><li><a href="/nieuws">Nieuws</a></li><li><a href="/dossiers">Dossiers</a></li>
    <li><a href="/opinie">Opinie</a></li><li><a href="/vacatures">Vacatures</a></li>
    <li><a href="/agenda">Agenda</a></li><li><a href="/over-ons">Over ons</a></li></ul></nav>
    <form class="search" action="/zoeken"><input name="q" placeholder="Zoeken"></form>
  </header>
  <main>
  <article>
    <h1>{title}</h1>
    <p class="meta">{byline}</p>
{body}
    <div class="share">Deel dit artikel: <a href="/share/x">X</a> <a href="/share/li">LinkedIn</a>
      <a href="/share/mail">E-mail</a></div>
  </article>
  <aside class="related"><h2>Lees ook</h2>
    <ul>
{related}
    </ul>
  </aside>
  <aside class="newsletter"><h2>Nieuwsbrief</h2><p>Elke ochtend het belangrijkste nieuws
    over het openbaar bestuur in uw mailbox.</p><form action="/nieuwsbrief"><input name="email">
    <button>Aanmelden</button></form></aside>
  </main>
  <footer><p>© Binnenlands Nieuws · <a href="/contact">Contact</a> ·
    <a href="/privacy">Privacy</a> · <a href="/cookies">Cookies</a> ·
    <a href="/colofon">Colofon</a></p></footer>
</body>
</html>
"""


PAD_VARIANTS = 8


def pad_files() -> dict[str, str]:
    """The included parts of padded pages, by file name: per variant `v`, a head part (an
    inline stylesheet and a JSON state blob, what front-end frameworks put in a page) and a
    body part (a mega-menu of section links and an inline SVG icon sprite). Together 42-142
    KB, so that a padded page is 50-150 KB; words are random so gzip compresses them about
    as much as real markup (3-5x)."""
    out = {}
    for v in range(PAD_VARIANTS):
        rng = random.Random(1000 + v)
        target = 42_000 + v * 100_000 // (PAD_VARIANTS - 1)
        words = lambda n: " ".join(rng.choice(CONTENT_WORDS) for _ in range(n))
        css = []
        size = 0
        while size < target * 0.3:
            rule = (f".c-{rng.randrange(10**6):x}-{rng.choice(FUNCTION_WORDS)} "
                    f"{{margin:{rng.randrange(40)}px {rng.randrange(40)}px;"
                    f"color:#{rng.randrange(16**6):06x};font-size:{rng.randrange(10, 30)}px}}")
            css.append(rule)
            size += len(rule)
        state = []
        size = 0
        while size < target * 0.35:
            item = (f'{{"id":{rng.randrange(10**7)},"slug":"{words(3).replace(" ", "-")}",'
                    f'"teaser":"{words(12)}","ts":{1_700_000_000 + rng.randrange(10**7)}}}')
            state.append(item)
            size += len(item)
        out[f"head-{v}.html"] = (
            f"  <style>{''.join(css)}</style>\n"
            f"  <script id=\"__STATE__\" type=\"application/json\">{{\"items\":["
            f"{','.join(state)}]}}</script>\n")
        links = []
        size = 0
        while size < target * 0.2:
            link = (f'<li><a href="/{words(1)}/{rng.randrange(10**5)}">{words(2)}</a></li>')
            links.append(link)
            size += len(link)
        icons = []
        size = 0
        while size < target * 0.15:
            path = " ".join(f"{rng.randrange(24)}.{rng.randrange(10)}" for _ in range(24))
            icon = f'<symbol id="i{len(icons)}" viewBox="0 0 24 24"><path d="M{path}z"/></symbol>'
            icons.append(icon)
            size += len(icon)
        out[f"body-{v}.html"] = (
            f'  <svg style="display:none">{"".join(icons)}</svg>\n'
            f'  <nav class="mega-menu"><ul>{"".join(links)}</ul></nav>\n')
    return out


@dataclass
class QuoteRow:
    """One quotes.csv row and what citecheck should make of it."""

    id: str
    theme: str
    quote: str
    page: int | None  # the page it was cut from; None for an invented quote
    edit: str  # "" (verbatim), "changed", "dropped" or "added"


def _edit(rng: random.Random, text: str) -> tuple[str, str]:
    """One word changed, dropped or added (in the middle, so the span stays the same)."""
    words = text.split(" ")
    i = rng.randint(2, len(words) - 3)
    kind = rng.choice(["changed", "dropped", "added"])
    if kind == "changed":
        new = words[i]
        while new.strip(",") == words[i].strip(","):
            new = rng.choice(CONTENT_WORDS)
        words[i] = new
    elif kind == "dropped":
        del words[i]
    else:
        words.insert(i, rng.choice(CONTENT_WORDS))
    return " ".join(words), kind


def make_quotes(n_pages: int, cut: int = 80, invented: int = 20, seed: int = 7,
                edited_share: float = 0.25) -> list[QuoteRow]:
    """`cut` quotes from as many distinct pages among the first `n_pages` (one or two
    sentences of a paragraph, or a speech's spoken words; `edited_share` of them with one
    word edit), then `invented` quotes from the same word distribution found in no page."""
    rng = random.Random(seed)
    pages = rng.sample(range(n_pages), min(cut, n_pages))
    rows = []
    for n, k in enumerate(pages):
        paragraphs = article_paragraphs(k)
        para = rng.choice(paragraphs)
        i = rng.randrange(len(para))
        s = para[i]
        if s.spoken is not None:
            text = s.spoken
        else:
            text = s.text
            nxt = para[i + 1] if i + 1 < len(para) else None
            if (len(text.split()) < 12 and nxt is not None and nxt.spoken is None):
                text = f"{text} {nxt.text}"
        edit = ""
        if len(text.split()) >= 12 and n < round(cut * edited_share):
            text, edit = _edit(rng, text)
        rows.append(QuoteRow("", rng.choice(THEMES), text, k, edit))
    for _ in range(invented):
        text = plain_sentence(rng, 12, 22)
        rows.append(QuoteRow("", rng.choice(THEMES), text, None, ""))
    order = list(range(len(rows)))
    rng.shuffle(order)
    out = [rows[i] for i in order]
    for n, row in enumerate(out):
        row.id = f"Q{n + 1}"
    return out
