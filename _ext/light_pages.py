"""Páginas que abren rápido en un móvil: iconos sin fontawesome.js, scripts diferidos e
imágenes perezosas con su tamaño.

- **Iconos.** El tema (pydata-sphinx-theme) carga `_static/scripts/fontawesome.js`, 1.4 MB
  (540 KB con gzip), para dibujar una veintena de iconos. Al terminar la construcción, ese
  archivo se sustituye por uno de pocos KB con solo los iconos que usan las páginas
  (sacados del propio paquete de Font Awesome del tema) y la misma forma de dibujarlos:
  cada `<i class="fa-solid fa-bars">` pasa a ser un `<svg class="svg-inline--fa fa-bars">`.
- **Scripts.** Los que no hacen falta para la primera pantalla se cargan con `defer`
  (en el mismo orden); `documentation_options.js` no, porque los scripts en línea de la
  página lo usan al momento. El buscador del tema (`searchtools.js`, `language_data.js` y
  el índice `searchindex.js`, que el tema pone en cada página) también se difiere.
- **Accesibilidad.** Las entradas de la lista de referencias pasan del papel ARIA obsoleto
  `doc-biblioentry` a `listitem`, el que pide su lista; el botón de plegar celdas y el del
  buscador toman su nombre accesible de su texto visible.
- **Imágenes.** Cada imagen de contenido lleva su `width` y `height` (sin saltos al
  cargar) y `loading="lazy"`: una figura lejos de la primera pantalla no se descarga
  hasta que el lector se acerca.
- **Hojas de estilo.** La del tema (`pydata-sphinx-theme.css`, 390 KB con Bootstrap
  entero) bloquea la primera pintura. Se quitan las reglas cuyos selectores nombran una
  clase o un id que no aparece en ninguna página ni en ningún script del sitio (los
  scripts añaden clases al vuelo: por eso cuentan); lo demás queda igual.
- **Fuentes de iconos.** Los iconos que el tema dibuja con CSS (los de las notas y
  avisos) usan las fuentes de Font Awesome (430 KB). Se recortan a los glifos que las
  hojas de estilo usan de verdad.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import tinycss2
from fontTools import subset as font_subset
from fontTools.ttLib import TTFont

from sphinx.application import Sphinx
from sphinx.builders.html._assets import _JavaScript

ICONS_SCRIPT = Path("_static") / "scripts" / "fontawesome.js"
KEEP_BLOCKING = {"documentation_options.js"}     # los scripts en línea lo usan enseguida
PACKS = {"fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far", "fa-brands": "fab", "fab": "fab"}
PACK_MARK = re.compile(r'function\(\)\{d\("(fa[brs])",\w+\),d\("fa-[a-z]+",\w+\)\}')
CLASS = re.compile(r'class="([^"]*\bfa-[^"]*)"')
IMG = re.compile(r"<img\b[^>]*>")
SEARCH_BUTTON_LABEL = re.compile(r'(<button class="btn search-button-field search-button__button[^"]*") aria-label="[^"]*"')
SEARCH_SCRIPTS = re.compile(r'<script src="([^"]*(?:searchtools|language_data|searchindex)\.js)"></script>')
ICON_CSS = (".svg-inline--fa{display:var(--fa-display,inline-block);height:1em;overflow:visible;"
            "box-sizing:content-box;vertical-align:-.125em}.fa-lg{font-size:1.25em;line-height:.05em;"
            "vertical-align:-.075em}.svg-inline--fa.fa-lg{vertical-align:-.2em}")
ICON_RUNTIME = """/* Iconos del tema: solo los que usa este sitio (en vez de fontawesome.js). _ext/light_pages.py */
(() => {
  const ICONS = %s;
  const PACKS = %s;
  const style = document.createElement("style");
  style.textContent = %s;
  document.head.appendChild(style);
  const draw = (el) => {
    const classes = [...el.classList];
    const pack = PACKS[classes.find((c) => c in PACKS)];
    const name = classes.find((c) => c.startsWith("fa-") && ICONS[pack + ":" + c.slice(3)]);
    if (!pack || !name) return;
    const [width, height, path] = ICONS[pack + ":" + name.slice(3)];
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    for (const attribute of el.attributes) {          // data-mode, title…: el tema los usa
      if (attribute.name !== "class") svg.setAttribute(attribute.name, attribute.value);
    }
    svg.setAttribute("class", ["svg-inline--fa", ...classes.filter((c) => !(c in PACKS))].join(" "));
    const shape = document.createElementNS("http://www.w3.org/2000/svg", "path");
    shape.setAttribute("fill", "currentColor");
    shape.setAttribute("d", path);
    svg.appendChild(shape);
    el.replaceWith(svg);
  };
  const scan = (root) => root.querySelectorAll("i[class*='fa-'], span[class*='fa-']").forEach(draw);
  const start = () => {
    scan(document);
    new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach((node) => {
      if (node.nodeType === 1) { node.matches("[class*='fa-']") ? draw(node) : scan(node); }
    }))).observe(document.body, {childList: true, subtree: true});
  };
  document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", start) : start();
})();
"""


def icon_definitions(bundle: str) -> dict[str, tuple[int, int, str]]:
    """«fas:bars» → (ancho, alto, trazo) de cada icono del Font Awesome del tema."""
    marks = [(m.start(), m[1]) for m in PACK_MARK.finditer(bundle)]
    icons, start = {}, 0
    for end, pack in marks:           # cada paquete se define antes de su marca
        for match in re.finditer(r'(?:"([\w-]+)"|\b([a-z][\w-]*)):\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]+","([^"]+)"\]',
                                 bundle[start:end]):
            icons[f"{pack}:{match[1] or match[2]}"] = (int(match[3]), int(match[4]), match[5])
        start = end
    return icons


def used_icons(outdir: Path) -> set[str]:
    """«fas:bars» de cada icono que aparece en las páginas construidas."""
    used = set()
    for page in outdir.rglob("*.html"):
        for classes in CLASS.findall(page.read_text(encoding="utf-8", errors="ignore")):
            words = classes.split()
            pack = next((PACKS[w] for w in words if w in PACKS), None)
            if pack:
                used |= {f"{pack}:{w[3:]}" for w in words if w.startswith("fa-") and w not in PACKS}
    return used


def write_icons(app: Sphinx) -> None:
    bundle_path = Path(app.outdir) / ICONS_SCRIPT
    bundle = bundle_path.read_text(encoding="utf-8")
    if bundle.startswith("/* Iconos del tema"):
        return                                          # ya sustituido en una construcción anterior
    definitions = icon_definitions(bundle)
    chosen = {key: definitions[key] for key in sorted(used_icons(Path(app.outdir))) if key in definitions}
    if not chosen:
        raise RuntimeError("no encontré ningún icono de Font Awesome en fontawesome.js del tema")
    bundle_path.write_text(ICON_RUNTIME % (json.dumps(chosen, separators=(",", ":")),
                                           json.dumps(PACKS), json.dumps(ICON_CSS)), encoding="utf-8")


def image_size(path: Path) -> tuple[int, int] | None:
    """Ancho y alto en píxeles de un PNG (cabecera IHDR) o de un SVG (width/height o viewBox)."""
    if path.suffix == ".png":
        with path.open("rb") as handle:
            header = handle.read(24)
        return struct.unpack(">II", header[16:24]) if header[12:16] == b"IHDR" else None
    if path.suffix == ".svg":
        head = path.read_text(encoding="utf-8", errors="ignore")[:2000]
        size = re.search(r'<svg[^>]*\bwidth="([\d.]+)(?:pt|px)?"[^>]*\bheight="([\d.]+)(?:pt|px)?"', head)
        box = re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+) ([\d.]+)"', head)
        found = size or box
        return (round(float(found[1])), round(float(found[2]))) if found else None
    return None


def lighten_pages(outdir: Path) -> None:
    """Tamaño y carga perezosa para cada imagen de contenido (`_images/`), y el buscador diferido."""
    for page in outdir.rglob("*.html"):
        html = page.read_text(encoding="utf-8")

        def sized(match: re.Match[str]) -> str:
            tag = match[0]
            src = re.search(r'\bsrc="([^"]+)"', tag)
            if not src or "_images/" not in src[1]:
                return tag
            extra = []
            size = image_size((page.parent / src[1]).resolve())
            if size and " width=" not in tag and " height=" not in tag:
                extra.append(f'width="{size[0]}" height="{size[1]}"')
            if " loading=" not in tag:
                extra.append('loading="lazy" decoding="async"')
            return tag[:4] + (" " + " ".join(extra) if extra else "") + tag[4:]

        new = IMG.sub(sized, html)
        new = SEARCH_SCRIPTS.sub(r'<script defer src="\1"></script>', new)
        # La lista de referencias (docutils): «doc-biblioentry» es un papel ARIA obsoleto y una
        # lista pide elementos «listitem»; así lo anuncia igual un lector de pantalla.
        new = new.replace('role="doc-biblioentry"', 'role="listitem"')
        # Nombres accesibles que contienen el texto visible (WCAG 2.5.3): el botón de plegar de
        # myst-nb decía en inglés otra cosa que su texto, y el buscador omitía «Ctrl + K».
        new = new.replace('<summary aria-label="Toggle hidden content">', "<summary>")
        new = SEARCH_BUTTON_LABEL.sub(r"\1", new)
        if new != html:
            page.write_text(new, encoding="utf-8")


def defer_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    """Cada script con archivo se carga con `defer` (en su orden), salvo los de KEEP_BLOCKING."""
    scripts = []
    for script in context.get("script_files", []):
        name = str(script.filename).split("?")[0].rsplit("/", 1)[-1] if script.filename else ""
        attributes = dict(script.attributes)
        if name and name not in KEEP_BLOCKING and "async" not in attributes and "defer" not in attributes:
            attributes["defer"] = "defer"
            script = _JavaScript(script.filename, priority=script.priority, **attributes)
        scripts.append(script)
    context["script_files"] = scripts


PURGED_STYLESHEETS = ["_static/styles/pydata-sphinx-theme.css", "_static/styles/sphinx-book-theme.css"]
SELECTOR_NAMES = re.compile(r"[.#]([A-Za-z_][\w-]*)")
NOT_ARGUMENT = re.compile(r":(?:not|where|is|has)\([^()]*\)")
WORD = re.compile(r"[A-Za-z_][\w-]*")


def site_words(outdir: Path) -> set[str]:
    """Cada palabra (nombre posible de clase o id) de las páginas y de los scripts del sitio."""
    words: set[str] = set()
    for path in [*outdir.rglob("*.html"), *outdir.joinpath("_static").rglob("*.js")]:
        words |= set(WORD.findall(path.read_text(encoding="utf-8", errors="ignore")))
    return words


def selector_is_used(selector: str, words: set[str]) -> bool:
    """¿Puede aplicarse el selector? Lo decide cada clase e id que exige (fuera de :not() y parecidos)."""
    return all(name in words for name in SELECTOR_NAMES.findall(NOT_ARGUMENT.sub("", selector)))


def purge_rules(rules: list, words: set[str]) -> list:
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            selectors = [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
            used = [s for s in selectors if selector_is_used(s, words)]
            if not used:
                continue
            if len(used) < len(selectors):
                rule.prelude = tinycss2.parse_component_value_list(",".join(used))
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports", "layer") and rule.content:
            inner = purge_rules(tinycss2.parse_rule_list(rule.content), words)
            if not inner:
                continue
            rule.content = tinycss2.parse_component_value_list(tinycss2.serialize(inner))
        kept.append(rule)
    return kept


def purge_stylesheets(outdir: Path) -> None:
    """Quita de las hojas del tema las reglas que ninguna página ni ningún script puede usar."""
    words = site_words(outdir)
    for relative in PURGED_STYLESHEETS:
        path = outdir / relative
        css = path.read_text(encoding="utf-8")
        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        purged = tinycss2.serialize(purge_rules(rules, words))
        path.write_text(re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", purged), encoding="utf-8")


ICON_FONTS = Path("_static") / "vendor" / "fontawesome" / "webfonts"
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
ICON_FONT_SOURCE = re.compile(r'url\(([^)]*/webfonts/[\w-]+)\.woff2\) format\("woff2"\),url\(\1\.ttf\) format\("truetype"\)')


def subset_icon_fonts(outdir: Path) -> None:
    """Las fuentes de Font Awesome, con solo los glifos (de uso privado) que citan las hojas de estilo.

    Se recortan desde los `.ttf` del tema y se guardan como `.woff` (zlib: `woff2` pediría el
    paquete brotli); cada `@font-face` pasa a citar solo ese archivo.
    """
    folder = outdir / ICON_FONTS
    used = set()
    for css in outdir.joinpath("_static").rglob("*.css"):
        used |= {ord(c) for c in PRIVATE_USE.findall(css.read_text(encoding="utf-8", errors="ignore"))}
    for ttf in sorted(folder.glob("*.ttf")):
        font = TTFont(ttf)
        subsetter = font_subset.Subsetter(font_subset.Options())
        subsetter.populate(unicodes=used)
        subsetter.subset(font)
        font.flavor = "woff"
        font.save(ttf.with_suffix(".woff"))
    for css in outdir.joinpath("_static", "styles").glob("*.css"):
        text = css.read_text(encoding="utf-8")
        fixed = ICON_FONT_SOURCE.sub(r'url(\1.woff) format("woff")', text)
        if fixed != text:
            css.write_text(fixed, encoding="utf-8")


def finish(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    write_icons(app)
    lighten_pages(Path(app.outdir))
    purge_stylesheets(Path(app.outdir))
    subset_icon_fonts(Path(app.outdir))


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("html-page-context", defer_scripts, priority=900)
    app.connect("build-finished", finish)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
