# @title Animaciones: `animate` convierte una figura y una función de dibujo en un reproductor
# La misma celda en los cuadernos 01, 02 y 05 del compañero. El reproductor es el de
# matplotlib (`FuncAnimation.to_jshtml`): HTML con los fotogramas dentro, sin servidor ni red.
# Aquí solo se le pone en español, con iconos propios (el original pide Font Awesome a un
# CDN), con los fotogramas en PNG de 256 colores (ocupan menos de la mitad) y con la imagen
# final ya puesta, para que sin JavaScript se vea la figura fija.
import base64
import html as html_text
import io
import re
from collections.abc import Callable

from IPython.display import HTML
from matplotlib.animation import FuncAnimation
from PIL import Image

ICONS = {  # trazados SVG de 16 × 16 para los botones del reproductor
    "fa-minus": "M3 7h10v2H3z",
    "fa-plus": "M7 3h2v4h4v2H9v4H7V9H3V7h4z",
    "fa-fast-backward": "M3 3h2v10H3zM14 3v10L6 8z",
    "fa-step-backward": "M4 3h2v10H4zM13 3v10L7 8z",
    "fa-play fa-flip-horizontal": "M12 3v10L4 8z",
    "fa-pause": "M4 3h3v10H4zM9 3h3v10H9z",
    "fa-play": "M4 3v10l8-5z",
    "fa-step-forward": "M10 3h2v10h-2zM3 3v10l6-5z",
    "fa-fast-forward": "M11 3h2v10h-2zM2 3v10l8-5z",
}
LABELS_ES = {
    "Decrease speed": "Más despacio", "First frame": "Primer fotograma",
    "Previous frame": "Fotograma anterior", "Play backwards": "Reproducir hacia atrás",
    "Pause": "Pausa", "Play": "Reproducir", "Next frame": "Fotograma siguiente",
    "Last frame": "Último fotograma", "Increase speed": "Más deprisa",
    "Repetition mode": "Modo de repetición", ">Once<": ">Una vez<", ">Loop<": ">En bucle<",
    ">Reflect<": ">Ida y vuelta<",
}
# Al crear el reproductor: abrir en el último fotograma (la figura fija), y que ▶ desde ahí
# vuelva a empezar por el primero.
OPEN_ON_LAST_FRAME = r"""\1
        anim\2.last_frame();
        anim\2.play_animation = (function (play) {
            return function () {
                if (this.current_frame >= this.frames.length - 1) { this.first_frame(); }
                play.call(this);
            };
        })(anim\2.play_animation);"""


def replace_once(text: str, old: str, new: str) -> str:
    """`text` con `old` cambiado por `new`; falla si `old` no está (otra versión de matplotlib)."""
    if old not in text:
        raise RuntimeError(f"El reproductor de matplotlib cambió y no contiene {old!r}: "
                           "actualice chapters/animacion.py.")
    return text.replace(old, new)


FRAME = re.compile(r'(frames\[\d+\] = ")data:image/png;base64,([^"]+)(")')


def palette_png(png: bytes) -> bytes:
    """El mismo PNG con 256 colores (sin tramado): una figura de matplotlib apenas cambia."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def smaller_frame(match: re.Match) -> str:
    png = base64.b64decode(re.sub(r"[\\\s]", "", match[2]))        # sin los saltos de línea del JS
    return match[1] + "data:image/png;base64," + base64.b64encode(palette_png(png)).decode("ascii") + match[3]


def player_html(jshtml: str, alt: str) -> str:
    """El HTML de `to_jshtml` en español, sin recursos externos y abierto en el último fotograma,
    que es también la imagen que se ve sin JavaScript."""
    html = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]+">', "", jshtml)
    html, n_frames = FRAME.subn(smaller_frame, html)
    still = FRAME.findall(html)[-1][1]
    for english, spanish in LABELS_ES.items():
        html = replace_once(html, english, spanish)
    for icon, path in ICONS.items():
        svg = (f'<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">'
               f'<path fill="currentColor" d="{path}"/></svg>')
        html = replace_once(html, f'<i class="fa {icon}"></i>', svg)
    html = re.sub(r'<img id="(_anim_img\w+)">',
                  rf'<img id="\1" src="data:image/png;base64,{still}" alt="{html_text.escape(alt)}">', html)
    html = re.sub(r'(<input id="_anim_slider\w+")', r'\1 aria-label="Fotograma"', html)
    html = re.sub(r"(anim(\w+) = new Animation\([^;]*\);)", OPEN_ON_LAST_FRAME, html)
    if n_frames == 0 or "https://" in html or "http://" in html or "last_frame();" not in html:
        raise RuntimeError("El reproductor de matplotlib cambió: actualice chapters/animacion.py.")
    return html


def animate(fig: Figure, draw_frame: Callable[[int], None], n_frames: int, name: str,
            caption: str, alt: str, interval: int = 250) -> HTML:
    """Reproductor de `n_frames` fotogramas (dibujados con `draw_frame(k)`) con su pie.
    `name` es el de la figura fija (el último fotograma) en figures/, «anim-01a-algo», y
    da el número de la animación, «Animación 01a»."""
    number = name.split("-")[1]
    draw_frame(0)
    fig.canvas.draw()
    fig.set_layout_engine("none")       # márgenes fijos desde el primer fotograma: dibujar es más rápido
    # Al guardar, FuncAnimation dibuja cada fotograma dos veces (draw_idle y savefig): basta una.
    fig.canvas.draw_idle = lambda *args, **kwargs: None
    animation = FuncAnimation(fig, draw_frame, frames=n_frames, interval=interval, repeat=False)
    jshtml = animation.to_jshtml(default_mode="once")     # al terminar, la figura está en el último fotograma
    save_figure(fig, name)
    plt.close(fig)
    player = player_html(jshtml, alt)
    return HTML(f'<figure class="animacion" id="animacion-{number}" aria-label="Animación {number}">'
                f'{player}<figcaption><strong>Animación {number}.</strong> {caption} '
                f'<em>Pulse ▶ para reproducirla o arrastre la barra; si no se mueve, ejecute la '
                f'celda.</em></figcaption></figure>')
