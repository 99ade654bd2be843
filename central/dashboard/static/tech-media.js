// Pictures on the technician's phone: a photo made smaller before it is sent (a phone camera's
// 12 MP picture is several MB over mobile data; central keeps 1600 px anyway) and the resident's
// signature drawn on the screen.
"use strict";

const PHOTO_MAX_PX = 1600;

// The photo as a JPEG no larger than PHOTO_MAX_PX on its longest side (turned upright as its
// EXIF says), or null when the browser cannot read it as a picture: then the file goes as it is
// and central judges it (it may know a format the browser does not, or say why it refuses).
async function shrinkPhoto(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, {imageOrientation: "from-image"});
  } catch (err) {
    return null;
  }
  const scale = Math.min(1, PHOTO_MAX_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  if (bitmap.close) bitmap.close();
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob), "image/jpeg", 0.85));
}

// A canvas the resident signs on with a finger (or a stylus, or a mouse): pointer events, so
// one code path for all three; `touch-action: none` in the style keeps the page from scrolling.
class SignaturePad {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.onChange = onChange || (() => {});
    this.drawn = false;
    this.last = null;
    canvas.addEventListener("pointerdown", (e) => this.start(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const name of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(name, () => { this.last = null; });
  }

  // Sizes the drawing surface to the canvas as laid out (sharp on a high-density screen).
  fit() {
    const box = this.canvas.getBoundingClientRect();
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    this.canvas.width = Math.max(1, Math.round(box.width * ratio));
    this.canvas.height = Math.max(1, Math.round(box.height * ratio));
    this.ratio = ratio;
    this.clear();
  }

  clear() {
    const ctx = this.canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.drawn = false;
    this.onChange(false);
  }

  point(e) {
    const box = this.canvas.getBoundingClientRect();
    return {x: (e.clientX - box.left) * this.ratio, y: (e.clientY - box.top) * this.ratio};
  }

  start(e) {
    e.preventDefault();
    if (this.canvas.setPointerCapture) {
      try { this.canvas.setPointerCapture(e.pointerId); } catch (err) { /* a synthetic pointer */ }
    }
    this.last = this.point(e);
  }

  move(e) {
    if (!this.last) return;
    e.preventDefault();
    const p = this.point(e);
    const ctx = this.canvas.getContext("2d");
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 3 * this.ratio;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(this.last.x, this.last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    this.last = p;
    if (!this.drawn) { this.drawn = true; this.onChange(true); }
  }

  // The drawing as base64 PNG (no "data:" prefix), as central's confirm endpoint takes it.
  png() { return this.canvas.toDataURL("image/png").split(",", 2)[1]; }
}
