// Post editor: live character counters and automatic channel texts.
//
// Markup it expects (rendered by the server):
//   <textarea id="v-zalo-body" data-channel="zalo" data-field="body" data-limit="20000"
//             data-count="mastodon|telegram" data-derived="1">…</textarea>
//   <span data-counter-for="v-zalo-body"></span>
//   master fields: #master-title, #master-body, #master-link, #master-hashtags
// data-limit comes from the server, which already knows whether the post has a picture
// (Telegram captions are 1024, messages 4096). data-derived="1" marks text the server derived
// and nobody has typed into since; only such fields follow the master as it changes.
//
// The server's `content::derive` is the source of truth and runs again on save. This copy
// follows the same rules for typing feedback, with two simplifications: a paragraph break
// does not end a sentence when picking summary sentences, and when a single word must be cut
// in two, an accent typed as a separate combining mark may be cut off its letter.
(function () {
  "use strict";
  var URL_RE = /(?<![\p{L}\p{N}])https?:\/\/[^\s<>"`]+/giu;
  var MARKS_RE = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f\u200d\u{1f3fb}-\u{1f3ff}]/gu;

  // A link ends before trailing sentence punctuation and before a ")" it did not open.
  function trimUrl(u) {
    for (;;) {
      var last = u.slice(-1);
      var open = (u.match(/\(/g) || []).length, close = (u.match(/\)/g) || []).length;
      if (/[.,;:!?'*\u2026]/.test(last) || (last === ")" && open < close)) u = u.slice(0, -1);
      else return u;
    }
  }

  var counters = {
    chars: function (s) { return Array.from(s).length; },
    // Telegram measures in UTF-16 code units, which is exactly JavaScript's length.
    telegram: function (s) { return s.length; },
    // Mastodon: every link counts 23, accents typed separately do not count.
    mastodon: function (s) {
      var rest = s.replace(URL_RE, function (u) {
        var t = trimUrl(u);
        return "x".repeat(23) + u.slice(t.length);
      });
      return Array.from(rest.replace(MARKS_RE, "")).length;
    }
  };
  function counterFor(el) { return counters[el.dataset.count] || counters.chars; }

  function clip(text, max, count) {
    text = text.replace(/\s+$/, "");
    if (count(text) <= max) return text;
    if (max <= 0) return "";
    var budget = max - 1, used = 0, out = "", wordCut = null;
    var tokens = text.split(/(\s+)/);
    for (var i = 0; i < tokens.length; i++) {
      var t = tokens[i], w = count(t);
      if (/^\s/.test(t)) wordCut = { at: out.length, used: used };
      if (used + w > budget) {
        if (!/^\s/.test(t) && !/^https?:\/\//i.test(t)) {
          var chars = Array.from(t);
          for (var j = 0; j < chars.length && used + count(chars[j]) <= budget; j++) {
            out += chars[j];
            used += count(chars[j]);
          }
        }
        break;
      }
      out += t;
      used += w;
    }
    if (wordCut && wordCut.used * 2 >= budget) out = out.slice(0, wordCut.at);
    return out.replace(/[\s,;:\-\u2013\u2014(.]+$/, "") + "\u2026";
  }

  function lead(body, max) {
    var flat = body.split("\n").map(function (l) {
      return l.trim().replace(/^[#>]+\s*/, "").replace(/^[-*+] /, "");
    }).join(" ").replace(/\*\*|__/g, "").replace(/\s+/g, " ").trim();
    if (Array.from(flat).length <= max) return flat;
    var out = "";
    var sentences = flat.split(/(?<=[.!?\u2026]) /);
    for (var i = 0; i < sentences.length; i++) {
      var next = out ? out + " " + sentences[i] : sentences[i];
      if (Array.from(next).length > max) break;
      out = next;
    }
    return out || clip(flat, max, counters.chars);
  }

  function join(parts) {
    return parts.map(function (p) { return p.trim(); }).filter(Boolean).join("\n\n");
  }

  // Head clipped so that it and the tail paragraphs fit; hashtags are dropped before the link.
  function fit(head, tails, max, count) {
    tails = tails.filter(function (t) { return t.trim(); });
    for (;;) {
      var tail = join(tails);
      var room = max - count(tail) - (tail ? 2 : 0);
      if (room >= Math.min(max, 40) || !tails.length) return join([clip(head, Math.max(room, 0), count), tail]);
      tails.pop();
    }
  }

  function master() {
    function val(id) { var el = document.getElementById(id); return el ? el.value.trim() : ""; }
    var seen = {}, tags = val("master-hashtags").split(/[\s,;#]+/).filter(function (t) {
      var k = t.toLowerCase();
      if (!t || seen[k]) return false;
      return (seen[k] = true);
    });
    return { title: val("master-title"), body: val("master-body").replace(/\r\n/g, "\n"),
      link: val("master-link"), tags: tags.map(function (t) { return "#" + t; }).join(" ") };
  }

  function derive(el, m) {
    var max = parseInt(el.dataset.limit, 10), count = counterFor(el), field = el.dataset.field;
    var ch = el.dataset.channel, link = m.link && m.body.indexOf(m.link) < 0 ? m.link : "";
    if (field === "title") return clip(m.title, max, counters.chars);
    if (field === "summary") return lead(m.body, max);
    if (ch === "portal" || ch === "zalo") return fit(m.body, [link], max, count);
    if (ch === "facebook") return fit(join([m.title, m.body]), [m.tags], max, count);
    if (ch === "webhook") return clip(m.body, max, count);
    var head = join([m.title, m.body]), plain = fit(head, [m.tags], max, count);
    return !m.link || plain.indexOf(m.link) >= 0 ? plain : fit(head, [m.link, m.tags], max, count);
  }

  function update(el) {
    var max = parseInt(el.dataset.limit, 10);
    var out = el.id && document.querySelector('[data-counter-for="' + el.id + '"]');
    if (!out || isNaN(max)) return;
    var len = counterFor(el)(el.value);
    out.textContent = len + " / " + max;
    out.classList.toggle("over", len > max);
  }

  function rederive() {
    var m = master();
    document.querySelectorAll('[data-derived="1"][data-channel][data-field]').forEach(function (el) {
      el.value = derive(el, m);
      update(el);
    });
  }

  document.addEventListener("input", function (e) {
    var el = e.target;
    if (/^master-(title|body|link|hashtags)$/.test(el.id)) return rederive();
    if (el.dataset && el.dataset.channel) delete el.dataset.derived;
    if (el.dataset && el.dataset.limit) update(el);
  });
  document.querySelectorAll("[data-limit]").forEach(update);
})();
