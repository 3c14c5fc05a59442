// digitstream live view: a client of the documented websocket protocol (docs/protocol.md), nothing more.
"use strict";

const params = new URLSearchParams(location.search);
const token = params.get("token");
const wsBase = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
const THUMBNAIL_FPS = 5;

const $ = (id) => document.getElementById(id);
const view = $("view");
const viewContext = view.getContext("2d");

let socket = null;
let chosen = location.hash.slice(1) || null;
let retry = 0;
let retryTimer = null;
let lastThumbnail = null;   // {image, width, height, frame}
let lastReading = null;     // the latest "reading" message of the chosen stream
let rateWindow = [];        // arrival times of readings, for the frame rate
let latencies = [];         // capture-to-page latency of recent readings, ms

function url(path) {
  return token ? `${wsBase}${path}?token=${encodeURIComponent(token)}` : `${wsBase}${path}`;
}

function setState(kind, text) {
  const el = $("state");
  el.className = `state ${kind}`;
  el.textContent = text;
}

function connect() {
  retryTimer = null;
  const path = chosen ? `/streams/${encodeURIComponent(chosen)}` : "/streams";
  socket = new WebSocket(url(path));
  const mine = socket;
  let opened = false;
  setState(retry ? "reconnecting" : "connecting", retry ? `reconnecting (attempt ${retry})…` : "connecting…");
  socket.onopen = () => {
    opened = true;
    retry = 0;
    if (chosen) {
      mine.send(JSON.stringify({ type: "options", thumbnails: true, thumbnail_fps: THUMBNAIL_FPS }));
    }
  };
  socket.onmessage = (event) => handle(JSON.parse(event.data));
  socket.onclose = (event) => {
    if (mine !== socket) return;  // replaced on purpose
    retry += 1;
    let text = `disconnected${event.code === 1008 || event.code === 1006 ? "" : ` (${event.code})`}; retrying…`;
    if (!opened && chosen) {
      // Refused before it opened: the stream may be gone since the server restarted. Ask for all
      // streams next time; hello then offers the ones there are.
      chosen = null;
    } else if (!opened && retry > 2) {
      text = token ? "refused or unreachable: is the token in the address right? retrying…"
                   : "refused or unreachable: does the server need ?token=…? retrying…";
    }
    setState("reconnecting", text);
    retryTimer = setTimeout(connect, Math.min(8000, 500 * 2 ** Math.min(retry, 4)));
  };
}

function switchTo(name) {
  chosen = name;
  history.replaceState(null, "", `${location.pathname}${location.search}#${encodeURIComponent(name)}`);
  lastThumbnail = null;
  lastReading = null;
  $("stable").replaceChildren();
  $("history").replaceChildren();
  $("current").textContent = "";
  const old = socket;
  socket = null;
  if (old) old.close(1000, "switching stream");
  if (retryTimer !== null) clearTimeout(retryTimer);  // one socket at a time
  connect();
}

function handle(message) {
  switch (message.type) {
    case "hello": return onHello(message);
    case "reading": return onReading(message);
    case "changed": return onChanged(message);
    case "frame": return onFrame(message);
    case "status": return onStatus(message);
    case "error": return setState("error", `server: ${message.message}`);
  }
}

function onHello(message) {
  const select = $("stream");
  const names = message.streams.map((s) => s.name);
  select.replaceChildren(...names.map((name) => new Option(name, name)));
  $("nostream").hidden = names.length > 0;
  if (!names.length) {
    setState("live", "connected (no streams)");
    return;
  }
  if (!chosen || !names.includes(chosen)) {
    switchTo(names[0]);
    return;
  }
  select.value = chosen;
  const stream = message.streams.find((s) => s.name === chosen);
  setState("live", `live: ${chosen} (${stream.state})`);
}

function onStatus(message) {
  if (message.stream !== chosen) return;
  const kind = message.state === "live" ? "live" : message.state === "ended" ? "error" : "reconnecting";
  setState(kind, `${message.stream}: ${message.state} — ${message.message}`);
}

function onReading(message) {
  if (message.stream !== chosen) return;
  const now = Date.now() / 1000;
  rateWindow.push(now);
  rateWindow = rateWindow.filter((t) => now - t < 2);
  latencies.push((now - message.captured_at) * 1000);
  if (latencies.length > 30) latencies.shift();
  lastReading = message;
  $("current").textContent = message.reading.text || "–";
  renderStable(message.stable);
  const sorted = [...latencies].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  $("stats").textContent = `${(rateWindow.length / 2).toFixed(1)} frames/s · latency ${median.toFixed(0)} ms · frame ${message.frame}`;
  draw();
}

function renderStable(stable) {
  const items = stable.flatMap((n) => Array(n.count).fill(n.text));
  $("stable").replaceChildren(...items.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
}

function onChanged(message) {
  if (message.stream !== chosen) return;
  renderStable(message.stable);
  const time = new Date(message.at * 1000).toLocaleTimeString();
  const parts = [];
  if (message.added.length) parts.push(`+ ${message.added.join(" ")}`);
  if (message.removed.length) parts.push(`− ${message.removed.join(" ")}`);
  const item = document.createElement("li");
  item.textContent = `${time}  frame ${message.frame}: ${parts.join("  ")}`;
  $("history").prepend(item);
  while ($("history").children.length > 50) $("history").lastChild.remove();
}

function onFrame(message) {
  if (message.stream !== chosen) return;
  const image = new Image();
  image.onload = () => {
    lastThumbnail = { image, width: message.width, height: message.height, frame: message.frame };
    draw();
  };
  image.src = `data:image/jpeg;base64,${message.jpeg}`;
}

function drawReading(context, reading, scale) {
  context.lineWidth = 2;
  context.font = `${Math.max(12, 16 * scale * 2)}px system-ui, sans-serif`;
  for (const line of reading.lines) {
    for (const number of line.numbers) {
      const [x, y, w, h] = number.box.map((v) => v * scale);
      context.strokeStyle = "#2f7bd8";
      context.strokeRect(x - 3, y - 3, w + 6, h + 6);
      context.fillStyle = "#2f7bd8";
      context.fillText(number.text, x, y + h + 18);
      for (const digit of number.digits) {
        const [dx, dy, dw, dh] = digit.box.map((v) => v * scale);
        context.strokeStyle = digit.text === "?" ? "#e08a00" : "#27a047";
        context.strokeRect(dx, dy, dw, dh);
      }
    }
  }
}

function draw() {
  if (!lastThumbnail) return;
  const { image, width, height } = lastThumbnail;
  if (view.width !== image.width || view.height !== image.height) {
    view.width = image.width;
    view.height = image.height;
  }
  viewContext.drawImage(image, 0, 0);
  if (lastReading) drawReading(viewContext, lastReading.reading, image.width / width);
}

// --- upload to /recognize

function showUploadState(text) {
  $("upload-state").textContent = text;
}

async function recognizeFile(file) {
  if (!file) return;
  showUploadState(`reading ${file.name}…`);
  const bytes = await file.arrayBuffer();
  const upload = new WebSocket(url("/recognize"));
  upload.binaryType = "arraybuffer";
  let answered = false;
  upload.onmessage = (event) => {
    answered = true;
    const message = JSON.parse(event.data);
    if (message.type === "hello") {
      upload.send(bytes);
    } else if (message.type === "recognized") {
      showUploadState(`${file.name}: ${message.reading.lines.length} line(s) in ${message.reading.elapsed_ms.toFixed(0)} ms`);
      $("upload-text").textContent = message.reading.text || "(no digits found)";
      drawUpload(file, message.reading);
      upload.close(1000);
    } else if (message.type === "error") {
      showUploadState(`${file.name}: ${message.message}`);
      upload.close(1000);
    }
  };
  upload.onclose = (event) => {
    if (answered && event.code === 1000) return;
    const why = event.code === 1009 ? "the file is larger than the server accepts (--max-upload-mb)"
      : event.code === 1006 ? "could not reach the server"
      : `the server closed the connection (${event.code}${event.reason ? `: ${event.reason}` : ""})`;
    showUploadState(`${file.name}: ${why}`);
  };
}

function drawUpload(file, reading) {
  const canvas = $("upload-view");
  const image = new Image();
  image.onload = () => {
    const scale = Math.min(1, 1280 / image.width);
    canvas.width = Math.round(image.width * scale);
    canvas.height = Math.round(image.height * scale);
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    drawReading(context, reading, scale);
    canvas.hidden = false;
    URL.revokeObjectURL(image.src);
  };
  image.src = URL.createObjectURL(file);
}

$("file").addEventListener("change", (event) => recognizeFile(event.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  recognizeFile(event.dataTransfer.files[0]);
});
$("stream").addEventListener("change", (event) => switchTo(event.target.value));

connect();
