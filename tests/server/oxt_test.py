#!/usr/bin/python3
"""The LibreOffice extension as built: a valid zip whose manifest, description and menu
agree with its files, and whose macro module (imported from inside the .oxt) streams a
chat answer from a real `assistant-cli serve` and reports a stopped server and a wrong
token in words. The menu commands run against fake UNO objects: nothing is inserted
into the document when the server is down or busy. LibreOffice itself is not started.

usage: oxt_test.py ASSISTANT-WRITER.oxt ASSISTANT_CLI MODEL.gguf"""
import re
import subprocess
import sys
import threading
import time
import unittest
import urllib.request
import xml.dom.minidom
import zipfile

OXT, CLI, MODEL = sys.argv[1:4]
MANIFEST_NS = "http://openoffice.org/2001/manifest"


class OxtPackage(unittest.TestCase):
    def setUp(self):
        self.zip = zipfile.ZipFile(OXT)
        self.names = set(self.zip.namelist())

    def tearDown(self):
        self.zip.close()

    def test_zip_is_intact(self):
        self.assertIsNone(self.zip.testzip())

    def test_manifest_lists_existing_entries_with_media_types(self):
        self.assertIn("META-INF/manifest.xml", self.names)
        dom = xml.dom.minidom.parseString(self.zip.read("META-INF/manifest.xml"))
        entries = {e.getAttributeNS(MANIFEST_NS, "full-path"): e.getAttributeNS(MANIFEST_NS, "media-type")
                   for e in dom.getElementsByTagNameNS(MANIFEST_NS, "file-entry")}
        self.assertEqual(entries["Addons.xcu"], "application/vnd.sun.star.configuration-data")
        self.assertEqual(entries["python/"], "application/vnd.sun.star.framework-script")
        for path in entries:
            if path.endswith("/"):
                self.assertTrue(any(n.startswith(path) for n in self.names), path)
            else:
                self.assertIn(path, self.names)

    def test_description_has_identifier_and_version(self):
        dom = xml.dom.minidom.parseString(self.zip.read("description.xml"))
        self.assertEqual(dom.getElementsByTagName("identifier")[0].getAttribute("value"), "org.assistant.writer")
        self.assertRegex(dom.getElementsByTagName("version")[0].getAttribute("value"), r"^\d+\.\d+\.\d+$")
        src = dom.getElementsByTagName("src")[0].getAttribute("xlink:href")
        self.assertIn(src, self.names)

    def test_menu_entries_call_exported_macros(self):
        dom = xml.dom.minidom.parseString(self.zip.read("Addons.xcu"))
        titles, urls = [], []
        for prop in dom.getElementsByTagName("prop"):
            value = prop.getElementsByTagName("value")[0].firstChild
            if prop.getAttribute("oor:name") == "Title":
                titles.append(value.data)
            elif prop.getAttribute("oor:name") == "URL":
                urls.append(value.data)
        for wanted in ("Summarize selection", "Rewrite selection...", "Continue writing",
                       "Ask about this document...", "Settings..."):
            self.assertIn(wanted, titles)
        source = self.zip.read("python/assistant_writer.py").decode()
        exported = re.search(r"g_exportedScripts = \(([^)]*)\)", source).group(1)
        for url in urls:
            if url == "private:separator":
                continue
            m = re.fullmatch(r"vnd\.sun\.star\.script:assistant-writer\.oxt\|python\|assistant_writer\.py\$(\w+)"
                             r"\?language=Python&location=user:uno_packages", url)
            self.assertIsNotNone(m, url)
            self.assertIn(m.group(1), exported)
        compile(source, "assistant_writer.py", "exec")


class OxtClientAgainstServer(unittest.TestCase):
    """The macro module's HTTP half, imported from the .oxt itself (zipimport)."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, OXT + "/python")
        import assistant_writer
        cls.aw = assistant_writer
        cls.server = subprocess.Popen([CLI, "serve", "-m", MODEL, "--port", "0", "--api-key", "tok-oxt", "--no-embedder"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = cls.server.stdout.readline()
        cls.url = re.search(r"listening on (\S+)", line).group(1)
        for _ in range(200):
            try:
                with urllib.request.urlopen(cls.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=30)

    def test_streams_a_chat_answer_piece_by_piece(self):
        client = self.aw.AssistantClient(self.url + "/v1", "tok-oxt")
        pieces = []
        text = client.stream_chat(self.aw.summarize_messages("Lily went to the park. She saw a dog."),
                                  pieces.append, max_tokens=24)
        self.assertGreater(len(pieces), 3)
        self.assertEqual(text, "".join(pieces))
        self.assertEqual(client.models()[0], "stories260K")

    def test_cancel_stops_reading(self):
        client = self.aw.AssistantClient(self.url, "tok-oxt")
        cancel = threading.Event()
        pieces = []

        def on_piece(p):
            pieces.append(p)
            if len(pieces) == 2:
                cancel.set()
        client.stream_chat(self.aw.continue_messages("Once upon a time"), on_piece, max_tokens=500, cancel=cancel)
        self.assertEqual(len(pieces), 2)

    def test_wrong_token_is_explained(self):
        with self.assertRaisesRegex(self.aw.AssistantError, "refused the token"):
            self.aw.AssistantClient(self.url, "wrong").stream_chat(self.aw.ask_messages("doc", "q?"), print)

    def test_server_not_running_is_explained(self):
        port = int(self.url.rsplit(":", 1)[1])
        dead = "http://127.0.0.1:%d" % (1 if port != 1 else 2)
        with self.assertRaisesRegex(self.aw.AssistantError, "not running at"):
            self.aw.AssistantClient(dead, timeout=5).health()

    def test_prompts_clip_long_documents(self):
        msgs = self.aw.ask_messages("x" * (self.aw.MAX_DOCUMENT_CHARS + 10), "what?")
        self.assertIn("the document continues", msgs[0]["content"])
        self.assertEqual(len(self.aw.continue_messages("y" * 10000)[1]["content"]), self.aw.MAX_CONTEXT_CHARS)

    # ---- the menu commands' order of work, with fake UNO objects (no LibreOffice) ----
    def _fake_writer(self, url, selected="Lily went to the park. She saw a dog."):
        """Points the module's UNO hooks at fakes that log every document edit; returns
        (edits, messages)."""
        edits, messages = [], []
        aw = self.aw

        class Range:
            def getEnd(self):
                return self

            def getStart(self):
                return self

            def gotoRange(self, _r, _expand):
                pass

            def getString(self):
                return selected

        class Text:
            def createTextCursorByRange(self, _r):
                return Range()

            def getStart(self):
                return Range()

            def insertControlCharacter(self, _cursor, _ch, _absorb):
                edits.append("\n")

            def insertString(self, _cursor, piece, _absorb):
                edits.append(piece)

            def getString(self):
                return selected

        text = Text()

        class Selection(Range):
            def getString(self):
                return selected

            def setString(self, value):
                edits.append(("set", value))

            def getText(self):
                return text

        class View(Range):
            def getText(self):
                return text

        class Controller:
            def getViewCursor(self):
                return View()

        class Doc:
            def getCurrentController(self):
                return Controller()

            def getText(self):
                return text

        patches = {"_doc": Doc, "_selection": lambda _doc: Selection(), "_message": messages.append,
                   "_dialog": lambda *_a, **_k: ["What did Lily see?"],
                   "_client": lambda: aw.AssistantClient(url, "tok-oxt", timeout=5)}
        saved = {name: getattr(aw, name) for name in patches}
        for name, value in patches.items():
            setattr(aw, name, value)
        self.addCleanup(lambda: [setattr(aw, n, v) for n, v in saved.items()])
        return edits, messages

    def _dead_url(self):
        port = int(self.url.rsplit(":", 1)[1])
        return "http://127.0.0.1:%d" % (1 if port != 1 else 2)

    def _wait_idle(self):
        for _ in range(600):
            if self.aw._running["cancel"] is None:
                return
            time.sleep(0.05)
        self.fail("the generation did not finish")

    def test_commands_leave_the_document_alone_when_the_server_is_down(self):
        for command in ("summarize_selection", "rewrite_selection", "continue_writing", "ask_about_document"):
            with self.subTest(command=command):
                edits, messages = self._fake_writer(self._dead_url())
                getattr(self.aw, command)()
                self.assertEqual(edits, [], "%s edited the document before finding the server down" % command)
                self.assertEqual(len(messages), 1)
                self.assertIn("not running at", messages[0])

    def test_commands_leave_the_document_alone_while_busy(self):
        for command in ("summarize_selection", "ask_about_document"):
            with self.subTest(command=command):
                edits, messages = self._fake_writer(self.url)
                self.aw._running["cancel"] = threading.Event()
                try:
                    getattr(self.aw, command)()
                finally:
                    self.aw._running["cancel"] = None
                self.assertEqual(edits, [])
                self.assertEqual(len(messages), 1)
                self.assertIn("still writing", messages[0])

    def test_summarize_and_ask_insert_their_paragraphs_then_the_answer(self):
        edits, messages = self._fake_writer(self.url)
        self.aw.summarize_selection()
        self._wait_idle()
        self.assertEqual(messages, [])
        self.assertEqual(edits[0], "\n")
        self.assertGreater(len(edits), 2, "no answer was streamed into the document")
        edits.clear()
        self.aw.ask_about_document()
        self._wait_idle()
        self.assertEqual(messages, [])
        self.assertEqual(edits[:4], ["\n", "Q: What did Lily see?", "\n", "A: "])
        self.assertGreater(len(edits), 5)

    def test_settings_file_is_never_readable_by_others(self):
        import os, stat, tempfile
        from unittest import mock
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "libreoffice.json")
            with open(path, "w") as f:  # an older file, readable by all
                f.write("{}")
            os.chmod(path, 0o644)
            old_umask = os.umask(0)  # the most permissive umask a user can have
            try:
                # No chmod after the fact: the file must be created 0600.
                with mock.patch.object(self.aw.os, "chmod", lambda *a, **k: None):
                    self.aw.Settings("http://127.0.0.1:1", "secret-token", "").save(path)
            finally:
                os.umask(old_umask)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            self.assertEqual(self.aw.Settings.load(path).token, "secret-token")
            self.assertEqual(os.listdir(d), ["libreoffice.json"], "a temporary file was left behind")

    def test_settings_round_trip(self):
        import os, tempfile
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sub", "libreoffice.json")
            self.assertEqual(self.aw.Settings.load(path).url, self.aw.DEFAULT_URL)
            self.aw.Settings("http://127.0.0.1:9999", "t", "m").save(path)
            s = self.aw.Settings.load(path)
            self.assertEqual((s.url, s.token, s.model), ("http://127.0.0.1:9999", "t", "m"))
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
