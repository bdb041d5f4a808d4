// A drawing canvas for st.components.v2: white ink on black, sent to Python as a 56×56 grey image after each stroke.
const SIDE = 280;   // canvas pixels on screen
const SENT = 56;    // side of the image sent to Python (the page shrinks it to the model's input)

export default function (component) {
  const { parentElement, setStateValue, data } = component;
  const canvas = parentElement.querySelector("canvas");
  const clear = parentElement.querySelector("button");
  const ctx = canvas.getContext("2d");
  const pen = (data && data.pen) || 20;

  function blank() {
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, SIDE, SIDE);
  }

  function send() {
    const small = document.createElement("canvas");
    small.width = SENT;
    small.height = SENT;
    const sctx = small.getContext("2d");
    sctx.imageSmoothingEnabled = true;
    sctx.imageSmoothingQuality = "high";
    sctx.drawImage(canvas, 0, 0, SENT, SENT);
    const rgba = sctx.getImageData(0, 0, SENT, SENT).data;
    const grey = new Array(SENT * SENT);
    for (let i = 0; i < grey.length; i++) grey[i] = rgba[4 * i];  // the red channel: ink is white, so R = G = B
    setStateValue("ink", { side: SENT, pixels: grey });
  }

  // A fresh canvas shows the drawing Python holds (after the page was rebuilt), or black.
  if (!canvas.dataset.ready) {
    canvas.dataset.ready = "1";
    blank();
    const held = data && data.ink;
    if (held && held.pixels && held.pixels.length === held.side * held.side) {
      const image = ctx.createImageData(held.side, held.side);
      for (let i = 0; i < held.pixels.length; i++) {
        image.data.set([held.pixels[i], held.pixels[i], held.pixels[i], 255], 4 * i);
      }
      const tmp = document.createElement("canvas");
      tmp.width = held.side;
      tmp.height = held.side;
      tmp.getContext("2d").putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(tmp, 0, 0, SIDE, SIDE);
    }
  }

  if (canvas.dlplayBound) return undefined;  // called again without an unmount: the listeners are already there
  canvas.dlplayBound = true;
  let drawing = false;
  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * SIDE / box.width, (event.clientY - box.top) * SIDE / box.height];
  }
  function down(event) {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    const [x, y] = point(event);
    ctx.strokeStyle = "white";
    ctx.fillStyle = "white";
    ctx.lineWidth = pen;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.arc(x, y, pen / 2, 0, 2 * Math.PI);
    ctx.fill();
    ctx.beginPath();
    ctx.moveTo(x, y);
    event.preventDefault();
  }
  function move(event) {
    if (!drawing) return;
    const [x, y] = point(event);
    ctx.lineTo(x, y);
    ctx.stroke();
    event.preventDefault();
  }
  function up() {
    if (!drawing) return;
    drawing = false;
    send();
  }
  function wipe() {
    blank();
    setStateValue("ink", null);
  }
  canvas.addEventListener("pointerdown", down);
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);
  clear.addEventListener("click", wipe);
  return () => {
    canvas.dlplayBound = false;
    canvas.removeEventListener("pointerdown", down);
    canvas.removeEventListener("pointermove", move);
    canvas.removeEventListener("pointerup", up);
    canvas.removeEventListener("pointercancel", up);
    clear.removeEventListener("click", wipe);
  };
}
