// The sandbox page: act as a persona, chat with the real bot, watch other chats live.
// Plain JavaScript, no build step. Messages arrive as text + Telegram entities and are built
// with DOM nodes and textContent only, so nothing anybody writes can run as HTML here.
"use strict";

const TEXTS = {
  "zh-CN": {
    title: "一门 · 本地沙盒",
    intro: "没有连接 Telegram：这是真实的一门机器人，所有人物都是虚构的。选一个身份开始。",
    residents: "居民",
    staff: "窗口工作人员",
    departments: "部门",
    admin: "管理员",
    addResident: "＋ 添加居民",
    namePlaceholder: "姓名",
    add: "添加",
    cancel: "取消",
    placeholder: "输入消息…",
    attach: "发送照片或文件",
    send: "发送",
    back: "返回",
    edited: "已编辑",
    typing: "正在输入…",
    online: "机器人运行中",
    offline: "机器人未运行",
    botOffline: "机器人没有在运行：它没有来取新消息。请检查运行 yimen sandbox 的终端。",
    serverLost: "与沙盒服务器的连接断开了（yimen sandbox 是否已停止？），正在重试…",
    failed: "没有成功：",
    buttonGone: "这个按钮已经失效了",
    pick: "从左边选择一个身份。",
    emptyResident: "还没有对话。点“开始”，就像在 Telegram 里第一次打开机器人。",
    emptyStaff: "一门转给窗口工作人员的申请和提醒会出现在这个群里。",
    emptyDepartment: "分派给本部门的事项会出现在这个群里。",
    emptyAdmin: "管理员和一门的私聊。",
    start: "开始",
    reply: "回复",
    replyingTo: "回复 ",
    cancelReply: "取消回复",
    replyGone: "要回复的消息已经不在了",
  },
  en: {
    title: "yimen · local sandbox",
    intro: "Not connected to Telegram: this is the real yimen bot, and every person is invented. Pick someone to be.",
    residents: "Residents",
    staff: "Window staff",
    departments: "Departments",
    admin: "Administrator",
    addResident: "+ Add a resident",
    namePlaceholder: "Name",
    add: "Add",
    cancel: "Cancel",
    placeholder: "Write a message…",
    attach: "Send a photo or file",
    send: "Send",
    back: "Back",
    edited: "edited",
    typing: "typing…",
    online: "bot running",
    offline: "bot not running",
    botOffline: "The bot is not running: nobody is fetching updates. Check the terminal running yimen sandbox.",
    serverLost: "Lost the connection to the sandbox server (has yimen sandbox stopped?). Retrying…",
    failed: "That did not work: ",
    buttonGone: "That button is no longer there",
    pick: "Pick someone on the left.",
    emptyResident: "No conversation yet. Press Start, as when opening a bot in Telegram for the first time.",
    emptyStaff: "Applications and alerts that yimen sends to window staff appear in this group.",
    emptyDepartment: "Tasks assigned to this department appear in this group.",
    emptyAdmin: "The administrator's private chat with yimen.",
    start: "Start",
    reply: "Reply",
    replyingTo: "Replying to ",
    cancelReply: "Cancel the reply",
    replyGone: "The message you replied to is no longer there",
  },
};
const ROLE_GROUPS = [
  ["resident", "residents"],
  ["staff", "staff"],
  ["department", "departments"],
  ["admin", "admin"],
];
const AVATAR_COLOURS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
const SAFE_LINK = /^(https?:|tg:)/i;

const state = {
  lang: localStorage.getItem("yimen-sandbox-lang") ||
    ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh-CN" : "en"),
  personas: [],
  current: null, // the persona being acted as
  chats: new Map(), // chat_id -> Map(message_id -> view)
  unread: new Map(), // chat_id -> count
  epoch: null,
  serverLost: false,
  botOnline: true,
  departmentsOpen: false, // the visitor unfolded the departments
  typingTimer: null,
  replyTo: null, // the message the next text answers (Telegram's "reply"), or null
};

const $ = (id) => document.getElementById(id);
const t = (key) => TEXTS[state.lang][key] || key;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// ---- talking to the server -------------------------------------------------------------

async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  if (!response.ok) {
    const error = new Error((body && body.error) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function postJson(path, data) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data),
  });
}

async function loadState() {
  const data = await api("/api/state");
  state.epoch = data.epoch;
  state.personas = data.personas;
  state.botOnline = data.bot.online;
  renderSidebar();
  renderBanner();
}

async function loadChat(persona) {
  const views = await api(`/api/personas/${encodeURIComponent(persona.key)}/messages`);
  const chat = new Map();
  for (const view of views) chat.set(view.message_id, view);
  state.chats.set(persona.chat_id, chat);
  if (state.current && state.current.key === persona.key) renderChat(true);
}

function connectEvents() {
  const source = new EventSource("/api/events");
  source.onmessage = (event) => onEvent(JSON.parse(event.data));
  source.onerror = () => {
    state.serverLost = true;
    renderBanner();
    if (source.readyState === EventSource.CLOSED) {
      // The browser gives up after a non-stream answer: try again ourselves.
      setTimeout(connectEvents, 3000);
    }
  };
}

async function onEvent(event) {
  switch (event.type) {
    case "hello": {
      const restarted = state.epoch !== null && event.epoch !== state.epoch;
      state.serverLost = false;
      state.botOnline = event.online;
      renderBanner();
      if (restarted || state.personas.length === 0) {
        // A new sandbox (or none was reachable before): its people and chats are new.
        state.chats.clear();
        state.unread.clear();
        await loadState();
      }
      state.epoch = event.epoch;
      // Whatever happened while we were disconnected, the open chat is read again.
      const persona = currentPersona();
      if (persona) {
        await loadChat(persona);
      } else if (state.personas.length && !window.matchMedia("(max-width: 700px)").matches) {
        openPersona(state.personas[0]);
      }
      break;
    }
    case "message":
      onMessage(event.message);
      break;
    case "deleted": {
      const chat = state.chats.get(event.chat_id);
      if (chat) chat.delete(event.message_id);
      if (isOpen(event.chat_id)) {
        const node = document.querySelector(`.msg[data-id="${Number(event.message_id)}"]`);
        if (node) node.remove();
      }
      break;
    }
    case "typing":
      if (isOpen(event.chat_id)) showTyping();
      break;
    case "toast":
      if (isOpen(event.chat_id)) showToast(event.text, event.alert);
      break;
    case "bot":
      state.botOnline = event.online;
      renderBanner();
      break;
    case "personas":
      await loadState();
      break;
    default:
      break;
  }
}

function onMessage(view) {
  let chat = state.chats.get(view.chat_id);
  if (!chat) {
    chat = new Map();
    state.chats.set(view.chat_id, chat);
  }
  const isNew = !chat.has(view.message_id);
  chat.set(view.message_id, view);
  if (isOpen(view.chat_id)) {
    drawMessage(view);
  } else if (isNew) {
    state.unread.set(view.chat_id, (state.unread.get(view.chat_id) || 0) + 1);
    renderSidebar();
  }
}

function currentPersona() {
  return state.current && state.personas.find((p) => p.key === state.current.key);
}

function isOpen(chatId) {
  return state.current !== null && state.current.chat_id === chatId;
}

// ---- acting as a persona ---------------------------------------------------------------

async function sendText(text) {
  const persona = state.current;
  if (!persona || !text.trim()) return;
  const body = { text };
  if (state.replyTo) body.reply_to_message_id = state.replyTo.message_id;
  try {
    await postJson(`/api/personas/${encodeURIComponent(persona.key)}/messages`, body);
    setReply(null);
  } catch (error) {
    showToast(error.status === 409 ? t("replyGone") : t("failed") + error.message);
  }
}

// Telegram's "reply": the next text quotes this message (staff answer a resident, or give
// the amount an approval asks for, by replying to the bot's message).
function setReply(view) {
  state.replyTo = view ? { message_id: view.message_id, sender: view.sender, text: quoteOf(view) } : null;
  renderReplying();
  if (view) $("text").focus();
}

function quoteOf(view) {
  const text = view.text !== null && view.text !== undefined ? view.text : view.caption;
  return (text || (view.photo ? "🖼" : view.document ? `📄 ${view.document.name}` : "")).slice(0, 120);
}

function renderReplying() {
  const bar = $("replying");
  bar.hidden = !state.replyTo;
  if (state.replyTo) {
    $("replying-text").textContent = `${t("replyingTo")}${state.replyTo.sender}: ${state.replyTo.text}`;
  }
  $("reply-cancel").title = t("cancelReply");
  $("reply-cancel").setAttribute("aria-label", t("cancelReply"));
}

async function tap(view, button, node) {
  node.classList.add("pending");
  try {
    await postJson(`/api/personas/${encodeURIComponent(state.current.key)}/taps`, {
      message_id: view.message_id,
      data: button.data,
    });
  } catch (error) {
    showToast(error.status === 409 ? t("buttonGone") : t("failed") + error.message);
  } finally {
    setTimeout(() => node.classList.remove("pending"), 600);
  }
}

async function upload(file, caption) {
  const form = new FormData();
  form.append("file", file, file.name);
  if (caption) form.append("caption", caption);
  try {
    await api(`/api/personas/${encodeURIComponent(state.current.key)}/uploads`, {
      method: "POST",
      body: form,
    });
  } catch (error) {
    showToast(t("failed") + error.message);
  }
}

function openPersona(persona) {
  state.current = persona;
  state.replyTo = null;
  renderReplying();
  state.unread.delete(persona.chat_id);
  history.replaceState(null, "", `#${persona.key}`);
  $("app").classList.add("show-chat");
  $("text").disabled = false;
  $("send").disabled = false;
  renderSidebar();
  renderChat(true);
  loadChat(persona).catch((error) => showToast(t("failed") + error.message));
}

// ---- drawing ---------------------------------------------------------------------------

function name(persona) {
  return persona.name[state.lang] || persona.name["zh-CN"];
}

function avatar(persona) {
  const node = el("span", "avatar", Array.from(name(persona))[0] || "?");
  node.style.background = AVATAR_COLOURS[Math.abs(persona.user_id) % AVATAR_COLOURS.length];
  return node;
}

function personaButton(persona) {
  const button = el("button", "persona");
  button.type = "button";
  button.dataset.key = persona.key;
  if (state.current && state.current.key === persona.key) button.classList.add("active");
  const who = el("span", "who");
  who.append(el("span", "name", name(persona)), el("span", "about", persona.about[state.lang]));
  button.append(avatar(persona), who);
  const unread = state.unread.get(persona.chat_id);
  if (unread) button.append(el("span", "badge", String(unread)));
  button.addEventListener("click", () => openPersona(persona));
  return button;
}

function renderSidebar() {
  const nav = $("personas");
  nav.replaceChildren();
  for (const [role, title] of ROLE_GROUPS) {
    const members = state.personas.filter((p) => p.role === role);
    if (role === "department") {
      // Many departments: folded unless one is open or has news.
      const details = el("details");
      details.open = state.departmentsOpen ||
        members.some((p) => isOpen(p.chat_id) || state.unread.get(p.chat_id));
      details.addEventListener("toggle", () => { state.departmentsOpen = details.open; });
      const summary = el("summary", "group-title", `${t(title)} (${members.length})`);
      details.append(summary, ...members.map(personaButton));
      nav.append(details);
      continue;
    }
    nav.append(el("div", "group-title", t(title)), ...members.map(personaButton));
    if (role === "resident") {
      const add = el("button", "add-button", t("addResident"));
      add.type = "button";
      add.id = "add-resident-button";
      add.addEventListener("click", () => {
        $("add-resident").hidden = false;
        $("add-resident").elements.name.focus();
      });
      nav.append(add);
    }
  }
}

function renderBanner() {
  const banner = $("banner");
  const status = $("bot-status");
  status.textContent = t(state.botOnline ? "online" : "offline");
  status.className = `bot-status ${state.botOnline ? "online" : "offline"}`;
  if (state.serverLost) {
    banner.textContent = t("serverLost");
    banner.className = "banner";
  } else if (!state.botOnline) {
    banner.textContent = t("botOffline");
    banner.className = "banner warning";
  }
  banner.hidden = !state.serverLost && state.botOnline;
  document.body.classList.toggle("stalled", !banner.hidden);
}

function renderTexts() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  $("lang").textContent = state.lang === "zh-CN" ? "English" : "中文";
  $("text").placeholder = t("placeholder");
  $("send").title = t("send");
  $("send").setAttribute("aria-label", t("send"));
  $("attach-label").title = t("attach");
  $("back").setAttribute("aria-label", t("back"));
  $("add-resident").elements.name.placeholder = t("namePlaceholder");
  renderReplying();
}

function renderChat(scrollToEnd) {
  const list = $("messages");
  const persona = state.current;
  if (!persona) {
    $("chat-title").textContent = "";
    $("chat-sub").textContent = "";
    list.replaceChildren(el("div", "empty", t("pick")));
    return;
  }
  $("chat-title").textContent = name(persona);
  $("chat-sub").textContent = persona.about[state.lang];
  $("chat-sub").className = "";
  const chat = state.chats.get(persona.chat_id) || new Map();
  list.replaceChildren(...[...chat.values()].map(messageNode));
  if (chat.size === 0) list.append(emptyNote(persona));
  if (scrollToEnd) list.scrollTop = list.scrollHeight;
}

function emptyNote(persona) {
  const keys = { resident: "emptyResident", staff: "emptyStaff", department: "emptyDepartment" };
  const note = el("div", "empty", t(keys[persona.role] || "emptyAdmin"));
  if (persona.role === "resident" || persona.role === "admin") {
    const start = el("button", null, t("start"));
    start.type = "button";
    start.addEventListener("click", () => sendText("/start"));
    note.append(el("br"), start);
  }
  return note;
}

function drawMessage(view) {
  const list = $("messages");
  const nearEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const empty = list.querySelector(".empty");
  if (empty) empty.remove();
  const node = messageNode(view);
  const old = list.querySelector(`.msg[data-id="${Number(view.message_id)}"]`);
  if (old) {
    old.replaceWith(node); // an edit: the message changes in place
  } else {
    const later = [...list.querySelectorAll(".msg")].find(
      (other) => Number(other.dataset.id) > view.message_id,
    );
    list.insertBefore(node, later || null);
  }
  if (nearEnd || !old) list.scrollTop = list.scrollHeight;
}

function messageNode(view) {
  const mine = state.current && view.sender_id === state.current.user_id;
  const node = el("div", mine ? "msg out" : "msg in");
  node.dataset.id = String(view.message_id);
  const bubble = el("div", "bubble");
  const group = state.current && state.current.chat_id < 0;
  if (!mine && group) bubble.append(el("span", "sender", view.sender));
  if (view.reply_to) {
    const quote = el("div", "quote");
    quote.append(el("strong", null, view.reply_to.sender), el("span", null, view.reply_to.text));
    bubble.append(quote);
  }
  if (view.photo) {
    const img = el("img", "photo");
    img.src = view.photo;
    img.alt = "";
    bubble.append(img);
  }
  if (view.document) {
    const link = el("a", "doc", `📄 ${view.document.name} (${formatSize(view.document.size)})`);
    if (view.document.url) link.href = view.document.url;
    link.download = view.document.name;
    bubble.append(link);
  }
  if (view.sticker !== undefined) bubble.append(el("div", "sticker", view.sticker || "🖼"));
  const body = view.text !== null && view.text !== undefined ? view.text : view.caption;
  const entities = view.text !== null && view.text !== undefined
    ? view.entities
    : view.caption_entities;
  const meta = el("span", "meta", (view.edited ? `${t("edited")} ` : "") + clock(view.date));
  if (body) {
    const text = el("div", "text");
    text.append(formatted(body, entities || []), meta);
    bubble.append(text);
  } else {
    bubble.append(meta);
  }
  const reply = el("button", "reply", "↩");
  reply.type = "button";
  reply.title = t("reply");
  reply.setAttribute("aria-label", t("reply"));
  reply.addEventListener("click", () => setReply(view));
  bubble.append(reply);
  node.append(bubble);
  if (view.buttons && view.buttons.length) node.append(keyboard(view));
  return node;
}

function keyboard(view) {
  const kb = el("div", "kb");
  for (const row of view.buttons) {
    const line = el("div", "kb-row");
    for (const button of row) {
      if (button.url !== undefined) {
        const link = el("a", null, `${button.text} ↗`);
        if (SAFE_LINK.test(button.url)) link.href = button.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        line.append(link);
      } else {
        const node = el("button", null, button.text);
        node.type = "button";
        if (button.data !== undefined) node.addEventListener("click", () => tap(view, button, node));
        line.append(node);
      }
    }
    kb.append(line);
  }
  return kb;
}

// Telegram entities -> DOM. Offsets are UTF-16 code units, as JavaScript strings count.
function formatted(text, entities) {
  const fragment = document.createDocumentFragment();
  const sorted = entities
    .filter((e) => e.length > 0)
    .slice()
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  build(fragment, text, sorted, 0, text.length);
  return fragment;
}

function build(parent, text, entities, start, end) {
  let position = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const from = Math.max(entity.offset, start);
    const to = Math.min(entity.offset + entity.length, end);
    if (from >= end) break;
    if (from < position) {
      i += 1; // overlaps the previous entity: keep its text plain
      continue;
    }
    parent.append(document.createTextNode(text.slice(position, from)));
    const inner = [];
    let j = i + 1;
    while (j < entities.length && entities[j].offset < to) {
      inner.push(entities[j]);
      j += 1;
    }
    const node = entityNode(entity, text.slice(from, to));
    build(node, text, inner, from, to);
    parent.append(node);
    position = to;
    i = j;
  }
  parent.append(document.createTextNode(text.slice(position, end)));
}

function entityNode(entity, covered) {
  switch (entity.type) {
    case "bold": return el("strong");
    case "italic": return el("em");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre");
    case "blockquote":
    case "expandable_blockquote": return el("blockquote");
    case "spoiler": {
      const node = el("span", "spoiler");
      node.addEventListener("click", () => node.classList.add("shown"));
      return node;
    }
    case "text_link":
    case "url": {
      const target = entity.type === "url" ? covered : entity.url;
      const node = el("a");
      if (SAFE_LINK.test(target || "")) node.href = target;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
      return node;
    }
    case "bot_command": {
      const node = el("span", "cmd");
      node.addEventListener("click", () => sendText(covered));
      return node;
    }
    default: return el("span");
  }
}

// Message times in China time, as the bot's own cards and deadlines are, whatever the
// browser's time zone.
const CHINA_CLOCK = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

function clock(seconds) {
  return CHINA_CLOCK.format(new Date(seconds * 1000));
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function showTyping() {
  const sub = $("chat-sub");
  sub.textContent = t("typing");
  sub.className = "typing";
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => {
    if (state.current) {
      sub.textContent = state.current.about[state.lang];
      sub.className = "";
    }
  }, 4000);
}

let toastTimer = null;
function showToast(text, alert = false) {
  const toast = $("toast");
  toast.textContent = text;
  toast.className = alert ? "toast alert" : "toast";
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, alert ? 5000 : 2500);
}

// ---- wiring ----------------------------------------------------------------------------

function wire() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value;
    input.value = "";
    sendText(text);
  });
  $("file").addEventListener("change", () => {
    const file = $("file").files[0];
    if (!file || !state.current) return;
    const caption = $("text").value.trim();
    $("text").value = "";
    upload(file, caption);
    $("file").value = "";
  });
  $("back").addEventListener("click", () => $("app").classList.remove("show-chat"));
  $("reply-cancel").addEventListener("click", () => setReply(null));
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Escape") setReply(null);
  });
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "zh-CN" ? "en" : "zh-CN";
    localStorage.setItem("yimen-sandbox-lang", state.lang);
    renderTexts();
    renderSidebar();
    renderBanner();
    renderChat(false);
  });
  $("add-resident").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const persona = await postJson("/api/residents", {
        name: form.elements.name.value,
        language: form.elements.language.value,
      });
      form.reset();
      form.hidden = true;
      await loadState();
      openPersona(state.personas.find((p) => p.key === persona.key) || persona);
    } catch (error) {
      showToast(t("failed") + error.message);
    }
  });
  $("add-cancel").addEventListener("click", () => { $("add-resident").hidden = true; });
}

async function main() {
  renderTexts();
  wire();
  renderChat(false);
  try {
    await loadState();
  } catch (error) {
    state.serverLost = true;
    renderBanner();
  }
  connectEvents();
  const wanted = state.personas.find((p) => `#${p.key}` === location.hash);
  // On a wide screen start in the first resident's chat; on a phone, start with the list.
  const first = window.matchMedia("(max-width: 700px)").matches ? null : state.personas[0];
  if (wanted || first) openPersona(wanted || first);
}

main();
