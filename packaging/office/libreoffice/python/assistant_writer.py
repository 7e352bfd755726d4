# Assistant for LibreOffice Writer: menu commands that call the Assistant's
# OpenAI-compatible local API (assistant-cli serve, or the app's "Local API" setting)
# with streaming and insert the answer into the document as it arrives.
#
# Two halves:
# - AssistantClient, Settings and the prompt builders need only the Python standard
#   library; tests/server/oxt_test.py imports them straight from the built .oxt and
#   runs them against a real server.
# - The menu commands (g_exportedScripts) use UNO and run inside LibreOffice. A
#   generation runs on a worker thread so Writer stays responsive; each piece is
#   inserted through UNO (which serializes on the office's own lock).
import json
import os
import threading
import urllib.error
import urllib.request

try:  # present inside LibreOffice only
    import uno
    from com.sun.star.awt.MessageBoxType import ERRORBOX, INFOBOX
    from com.sun.star.awt.MessageBoxButtons import BUTTONS_OK
except ImportError:
    uno = None

DEFAULT_URL = "http://127.0.0.1:8765"
MAX_DOCUMENT_CHARS = 24000   # "Ask about this document" sends at most this much text
MAX_CONTEXT_CHARS = 4000     # "Continue writing" sends the text before the cursor, this much


# ---------------------------------------------------------------------------
# Settings: a small JSON file in the user's config dir (shared with nothing else)
# ---------------------------------------------------------------------------
def settings_path():
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    if os.name == "nt":
        base = os.environ.get("APPDATA", base)
    return os.path.join(base, "assistant", "libreoffice.json")


class Settings:
    def __init__(self, url=DEFAULT_URL, token="", model=""):
        self.url = url
        self.token = token
        self.model = model

    @classmethod
    def load(cls, path=None):
        try:
            with open(path or settings_path(), encoding="utf-8") as f:
                data = json.load(f)
            return cls(str(data.get("url") or DEFAULT_URL), str(data.get("token") or ""), str(data.get("model") or ""))
        except (OSError, ValueError, AttributeError):
            return cls()

    def save(self, path=None):
        """Writes the file readable by the user only (it holds the token): a new file is
        created 0600 from the start and then renamed over the old one, so the token is
        never in a file others can read, not even for a moment, and a crash leaves the
        old settings whole."""
        path = path or settings_path()
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
        try:
            os.unlink(tmp)  # left by a crash: O_EXCL below must create it afresh
        except FileNotFoundError:
            pass
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"url": self.url, "token": self.token, "model": self.model}, f, indent=2)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


# ---------------------------------------------------------------------------
# HTTP client: chat completions with SSE streaming
# ---------------------------------------------------------------------------
class AssistantError(Exception):
    """A failure with a message meant for the user."""


class AssistantClient:
    def __init__(self, url=DEFAULT_URL, token="", model="", timeout=300):
        self.url = url.rstrip("/")
        if self.url.endswith("/v1"):
            self.url = self.url[:-3]
        self.token = token
        self.model = model
        self.timeout = timeout

    def _request(self, method, path, body=None):
        headers = {"Accept": "application/json, text/event-stream"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            raise AssistantError(self._http_message(e)) from None
        except (urllib.error.URLError, ConnectionError, OSError) as e:
            raise AssistantError(
                "The Assistant is not running at %s (%s).\n\nStart the Assistant app and turn on "
                "Settings > Local API, or run:  assistant-cli serve\nThen check Assistant > Settings "
                "in Writer." % (self.url, getattr(e, "reason", e))) from None

    @staticmethod
    def _http_message(e):
        try:
            detail = json.loads(e.read().decode("utf-8", "replace"))["error"]["message"]
        except Exception:
            detail = e.reason
        if e.code == 401:
            return "The Assistant refused the token (%s).\nCopy the token shown in the app's Local API " \
                   "settings into Assistant > Settings." % detail
        if e.code in (429, 503):
            return "The Assistant is busy or still loading its model: %s\nTry again in a moment." % detail
        return "The Assistant answered with an error (HTTP %d): %s" % (e.code, detail)

    def health(self):
        with self._request("GET", "/health") as r:
            return json.loads(r.read().decode("utf-8"))

    def models(self):
        """Model ids; unlike /health this checks the token."""
        with self._request("GET", "/v1/models") as r:
            return [m["id"] for m in json.loads(r.read().decode("utf-8"))["data"]]

    def stream_chat(self, messages, on_piece, max_tokens=None, cancel=None):
        """Streams a chat answer; calls on_piece(text) per piece; returns the whole text.
        Stops early (closing the connection, which stops the server's generation)
        when cancel (a threading.Event) is set."""
        body = {"messages": messages, "stream": True}
        if self.model:
            body["model"] = self.model
        if max_tokens:
            body["max_tokens"] = max_tokens
        parts = []
        with self._request("POST", "/v1/chat/completions", body) as r:
            for raw in r:
                if cancel is not None and cancel.is_set():
                    break
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                if "error" in chunk:
                    raise AssistantError("The Assistant stopped with an error: %s" % chunk["error"].get("message"))
                for choice in chunk.get("choices", []):
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        parts.append(piece)
                        on_piece(piece)
        return "".join(parts)


# ---------------------------------------------------------------------------
# Prompts (messages for /v1/chat/completions)
# ---------------------------------------------------------------------------
def summarize_messages(text):
    return [{"role": "system", "content": "You summarize text. Answer with the summary only, in the language of the text."},
            {"role": "user", "content": "Summarize this text:\n\n" + text}]


def rewrite_messages(text, instruction):
    return [{"role": "system", "content": "You rewrite text as instructed. Answer with the rewritten text only."},
            {"role": "user", "content": "Instruction: %s\n\nText:\n%s" % (instruction, text)}]


def continue_messages(before):
    return [{"role": "system", "content": "You continue the user's text in the same style and language. "
                                          "Answer with the continuation only, without repeating the text."},
            {"role": "user", "content": before[-MAX_CONTEXT_CHARS:]}]


def ask_messages(document, question):
    clipped = document[:MAX_DOCUMENT_CHARS]
    note = "" if len(document) <= MAX_DOCUMENT_CHARS else "\n[... the document continues ...]"
    return [{"role": "system", "content": "Answer the question using only the document below. "
                                          "If the document does not say, say so.\n\nDocument:\n" + clipped + note},
            {"role": "user", "content": question}]


# ---------------------------------------------------------------------------
# UNO half: dialogs, selection, insertion
# ---------------------------------------------------------------------------
_running = {"cancel": None}  # the current generation's cancel Event (one at a time)


def _ctx():
    return XSCRIPTCONTEXT.getComponentContext()  # noqa: F821 (provided by the script runtime)


def _doc():
    return XSCRIPTCONTEXT.getDocument()  # noqa: F821


def _create(name):
    ctx = _ctx()
    return ctx.getServiceManager().createInstanceWithContext(name, ctx)


def _message(text, error=True):
    doc = _doc()
    parent = doc.getCurrentController().getFrame().getContainerWindow()
    toolkit = _create("com.sun.star.awt.Toolkit")
    box = toolkit.createMessageBox(parent, ERRORBOX if error else INFOBOX, BUTTONS_OK, "Assistant", text)
    box.execute()


def _dialog(title, fields, height_per_field=28):
    """A modal dialog with one labelled text field per (label, value, secret); returns the
    values, or None when cancelled."""
    model = _create("com.sun.star.awt.UnoControlDialogModel")
    width, height = 260, 20 + height_per_field * len(fields) + 26
    model.Width, model.Height, model.Title = width, height, title
    for i, (label, value, secret) in enumerate(fields):
        lab = model.createInstance("com.sun.star.awt.UnoControlFixedTextModel")
        lab.PositionX, lab.PositionY, lab.Width, lab.Height, lab.Label = 8, 8 + i * height_per_field, width - 16, 10, label
        model.insertByName("label%d" % i, lab)
        edit = model.createInstance("com.sun.star.awt.UnoControlEditModel")
        edit.PositionX, edit.PositionY, edit.Width, edit.Height, edit.Text = 8, 19 + i * height_per_field, width - 16, 12, value
        if secret:
            edit.EchoChar = ord("*")
        model.insertByName("field%d" % i, edit)
    for name, label, kind, x in (("ok", "OK", 1, width - 112), ("cancel", "Cancel", 2, width - 58)):
        button = model.createInstance("com.sun.star.awt.UnoControlButtonModel")
        button.PositionX, button.PositionY, button.Width, button.Height = x, height - 22, 50, 14
        button.Label, button.PushButtonType, button.DefaultButton = label, kind, name == "ok"
        model.insertByName(name, button)
    dialog = _create("com.sun.star.awt.UnoControlDialog")
    dialog.setModel(model)
    dialog.createPeer(_create("com.sun.star.awt.Toolkit"), None)
    ok = dialog.execute() == 1
    values = [dialog.getControl("field%d" % i).getModel().Text for i in range(len(fields))]
    dialog.dispose()
    return values if ok else None


def _selection(doc):
    sel = doc.getCurrentController().getSelection()
    if sel is None or not sel.supportsService("com.sun.star.text.TextRanges") or sel.getCount() == 0:
        return None
    return sel.getByIndex(0)


def _client():
    s = Settings.load()
    return AssistantClient(s.url, s.token, s.model)


def ready_to_write(client, report):
    """True when the server answers /health and no generation of ours is running;
    else reports why (report(text)) and returns False. Commands call it before they
    change the document, so a stopped server leaves the document as it was."""
    try:
        client.health()
    except AssistantError as e:
        report(str(e))
        return False
    if _running["cancel"] is not None:
        report("The Assistant is still writing; use Assistant > Stop first.")
        return False
    return True


def _stream_into(messages, prepare, max_tokens=None):
    """Checks the server first; only then calls prepare(), which may edit the document
    and returns (text, range): the answer streams into `text` after `range`, on a
    worker thread."""
    client = _client()
    if not ready_to_write(client, _message):
        return
    text, position = prepare()
    cursor = text.createTextCursorByRange(position.getEnd())
    cancel = threading.Event()
    _running["cancel"] = cancel

    def insert(piece):
        text.insertString(cursor, piece, False)

    def work():
        try:
            client.stream_chat(messages, insert, max_tokens=max_tokens, cancel=cancel)
        except AssistantError as e:
            _message(str(e))
        except Exception as e:  # a bug must still reach the user, not vanish in a thread
            _message("Assistant extension error: %r" % (e,))
        finally:
            _running["cancel"] = None

    threading.Thread(target=work, daemon=True).start()


def summarize_selection(*_args):
    doc = _doc()
    sel = _selection(doc)
    if sel is None or not sel.getString().strip():
        _message("Select the text to summarize first.")
        return
    def prepare():  # the summary goes into a new paragraph after the selection
        text = sel.getText()
        end = text.createTextCursorByRange(sel.getEnd())
        text.insertControlCharacter(end, 0, False)  # PARAGRAPH_BREAK
        return text, end

    _stream_into(summarize_messages(sel.getString()), prepare)


def _given_text(args):
    """A macro caller (another macro, a test driving Writer through UNO) may pass the
    dialog's answer as the first argument; the menu passes none."""
    return [args[0]] if args and isinstance(args[0], str) else None


def rewrite_selection(*args):
    doc = _doc()
    sel = _selection(doc)
    if sel is None or not sel.getString().strip():
        _message("Select the text to rewrite first.")
        return
    values = _given_text(args) or _dialog("Rewrite selection", [("How should the text be rewritten?", "Make it clearer and more concise.", False)])
    if not values or not values[0].strip():
        return
    original = sel.getString()

    def prepare():  # the answer replaces the selection
        sel.setString("")
        return sel.getText(), sel

    _stream_into(rewrite_messages(original, values[0].strip()), prepare)


def continue_writing(*_args):
    doc = _doc()
    view = doc.getCurrentController().getViewCursor()
    text = view.getText()
    before = text.createTextCursorByRange(text.getStart())
    before.gotoRange(view.getStart(), True)
    if not before.getString().strip():
        _message("Write a few words first: the Assistant continues the text before the cursor.")
        return
    _stream_into(continue_messages(before.getString()), lambda: (text, view), max_tokens=400)


def ask_about_document(*args):
    doc = _doc()
    values = _given_text(args) or _dialog("Ask about this document", [("Your question:", "", False)])
    if not values or not values[0].strip():
        return
    question = values[0].strip()

    def prepare():  # "Q: ..." and "A: " paragraphs at the cursor; the answer follows "A: "
        view = doc.getCurrentController().getViewCursor()
        text = view.getText()
        cursor = text.createTextCursorByRange(view.getEnd())
        text.insertControlCharacter(cursor, 0, False)
        text.insertString(cursor, "Q: %s" % question, False)
        text.insertControlCharacter(cursor, 0, False)
        text.insertString(cursor, "A: ", False)
        return text, cursor

    _stream_into(ask_messages(doc.getText().getString(), question), prepare)


def stop_generation(*_args):
    if _running["cancel"] is not None:
        _running["cancel"].set()


def settings(*_args):
    s = Settings.load()
    values = _dialog("Assistant settings", [
        ("Server URL (the app shows it under Settings > Local API):", s.url, False),
        ("Token (empty when the server has none):", s.token, True),
        ("Model (empty: the server's chat model):", s.model, False),
    ])
    if values is None:
        return
    s.url, s.token, s.model = values[0].strip() or DEFAULT_URL, values[1].strip(), values[2].strip()
    s.save()
    try:
        models = AssistantClient(s.url, s.token, s.model, timeout=5).models()
        _message("Connected. Models: %s." % ", ".join(models), error=False)
    except AssistantError as e:
        _message(str(e))


g_exportedScripts = (summarize_selection, rewrite_selection, continue_writing, ask_about_document,
                     stop_generation, settings)
