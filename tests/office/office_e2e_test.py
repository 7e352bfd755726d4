#!/usr/bin/python3
"""The LibreOffice extension inside a real LibreOffice: headless soffice with a throw-away
profile, the built .oxt added through the extension manager, a Writer document, and the
menu commands run as the menu runs them (a dispatch of the script URL from Addons.xcu on
the document's frame; Rewrite and Ask through the script provider with the dialog's
answer as argument) against a live `assistant-cli serve`. The document's text is checked
afterwards: the answer is there, the original is intact, and nothing is inserted while
the server is down.

usage: office_e2e_test.py ASSISTANT-WRITER.oxt ASSISTANT_CLI MODEL.gguf"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import xml.dom.minidom
import zipfile

import uno
import unohelper
from com.sun.star.task import XInteractionHandler
from com.sun.star.ucb import XCommandEnvironment, XProgressHandler

OXT, CLI, MODEL = sys.argv[1:4]
del sys.argv[1:4]


def menu_urls():
    """command name -> script URL, from the package's own Addons.xcu."""
    with zipfile.ZipFile(OXT) as z:
        dom = xml.dom.minidom.parseString(z.read("Addons.xcu"))
    urls = {}
    for prop in dom.getElementsByTagName("prop"):
        if prop.getAttribute("oor:name") == "URL":
            url = prop.getElementsByTagName("value")[0].firstChild.data
            m = re.search(r"\$(\w+)\?", url)
            if m:
                urls[m.group(1)] = url
    return urls


class Approve(unohelper.Base, XInteractionHandler):
    def handle(self, request):
        for c in request.getContinuations():
            if c.queryInterface(uno.getTypeByName("com.sun.star.task.XInteractionApprove")):
                c.select()
                return


class NoProgress(unohelper.Base, XProgressHandler):
    def push(self, status): pass
    def update(self, status): pass
    def pop(self): pass


class Environment(unohelper.Base, XCommandEnvironment):
    def getInteractionHandler(self): return Approve()
    def getProgressHandler(self): return NoProgress()


class Writer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="assistant-office-")
        cls.server = subprocess.Popen([CLI, "serve", "-m", MODEL, "--port", "0", "--api-key", "tok-office",
                                       "--no-embedder"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.url = re.search(r"listening on (\S+)", cls.server.stdout.readline()).group(1)
        cls.config = os.path.join(cls.dir, "config")
        cls.write_settings(cls.url)
        pipe = "assistant_office_%d" % os.getpid()
        env = dict(os.environ, XDG_CONFIG_HOME=cls.config, SAL_USE_VCLPLUGIN="svp")
        cls.office = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             "-env:UserInstallation=" + uno.systemPathToFileUrl(os.path.join(cls.dir, "profile")),
             "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.time() + 90
        while True:
            try:
                cls.ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                break
            except Exception:
                if time.time() > deadline or cls.office.poll() is not None:
                    raise
                time.sleep(0.2)
        manager = cls.ctx.getValueByName("/singletons/com.sun.star.deployment.ExtensionManager")
        package = manager.addExtension(uno.systemPathToFileUrl(os.path.abspath(OXT)), (), "user", None, Environment())
        assert package is not None, "the extension was not added"
        smgr = cls.ctx.ServiceManager
        cls.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", cls.ctx)
        cls.dispatcher = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", cls.ctx)
        cls.scripts = smgr.createInstanceWithContext(
            "com.sun.star.script.provider.MasterScriptProviderFactory", cls.ctx).createScriptProvider("")
        cls.urls = menu_urls()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.desktop.terminate()
        except Exception:
            pass
        for p in (cls.office, cls.server):
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def write_settings(cls, url):
        os.makedirs(os.path.join(cls.config, "assistant"), exist_ok=True)
        with open(os.path.join(cls.config, "assistant", "libreoffice.json"), "w", encoding="utf-8") as f:
            json.dump({"url": url, "token": "tok-office", "model": ""}, f)

    def setUp(self):
        self.doc = self.desktop.loadComponentFromURL("private:factory/swriter", "_blank", 0, ())
        self.doc.getText().setString(self.ORIGINAL)

    def tearDown(self):
        self.run_command("stop_generation")
        self.settle()
        self.doc.close(True)
        self.write_settings(self.url)

    ORIGINAL = "Lily went to the park. She saw a big dog and they played all day."

    def text(self):
        return self.doc.getText().getString()

    def select_all(self):
        self.doc.getCurrentController().select(self.doc.getText())

    def run_command(self, name):
        """What clicking the menu entry does: dispatch its URL on the document's frame."""
        frame = self.doc.getCurrentController().getFrame()
        return self.dispatcher.executeDispatch(frame, self.urls[name], "", 0, ())

    def run_with_answer(self, name, answer):
        """A dialog command with its dialog answered (the macro takes the answer)."""
        self.scripts.getScript(self.urls[name]).invoke((answer,), (), ())

    def settle(self, quiet=1.5, limit=60):
        """Waits until the document text stops changing (the answer streams on a thread)."""
        last, since, end = self.text(), time.time(), time.time() + limit
        while time.time() < end:
            time.sleep(0.1)
            now = self.text()
            if now != last:
                last, since = now, time.time()
            elif time.time() - since >= quiet:
                break
        return last

    def test_menu_urls_name_every_command(self):
        self.assertEqual(set(self.urls), {"summarize_selection", "rewrite_selection", "continue_writing",
                                          "ask_about_document", "stop_generation", "settings"})

    def test_summarize_inserts_a_new_paragraph_after_the_selection(self):
        self.select_all()
        result = self.run_command("summarize_selection")
        self.assertEqual(result.State, 1)  # DispatchResultState.SUCCESS
        after = self.settle()
        paragraphs = after.split("\n")
        self.assertEqual(paragraphs[0], self.ORIGINAL)
        self.assertGreater(len("".join(paragraphs[1:]).strip()), 10, after)

    def test_continue_writing_appends_at_the_cursor(self):
        view = self.doc.getCurrentController().getViewCursor()
        view.gotoEnd(False)
        self.run_command("continue_writing")
        after = self.settle()
        self.assertTrue(after.startswith(self.ORIGINAL), after)
        self.assertGreater(len(after), len(self.ORIGINAL) + 10, after)

    def test_rewrite_replaces_the_selection(self):
        self.doc.getText().setString("Keep this.")
        text = self.doc.getText()
        text.insertControlCharacter(text.getEnd(), 0, False)
        text.insertString(text.getEnd(), "Rewrite this sentence about a dog.", False)
        second = text.createEnumeration()
        second.nextElement()
        self.doc.getCurrentController().select(second.nextElement())
        self.run_with_answer("rewrite_selection", "Make it shorter.")
        after = self.settle()
        self.assertTrue(after.startswith("Keep this.\n"), after)
        self.assertNotIn("Rewrite this sentence about a dog.", after)
        self.assertGreater(len(after), len("Keep this.\n") + 5, after)

    def test_ask_writes_question_and_answer_after_the_text(self):
        view = self.doc.getCurrentController().getViewCursor()
        view.gotoEnd(False)
        self.run_with_answer("ask_about_document", "Who went to the park?")
        after = self.settle()
        self.assertTrue(after.startswith(self.ORIGINAL), after)
        self.assertIn("\nQ: Who went to the park?\nA: ", after)
        self.assertGreater(len(after.split("\nA: ", 1)[1].strip()), 3, after)

    def test_stop_ends_the_answer(self):
        self.select_all()
        self.run_command("summarize_selection")
        deadline = time.time() + 30
        while self.text() == self.ORIGINAL and time.time() < deadline:
            time.sleep(0.02)
        self.run_command("stop_generation")
        stopped = self.settle(quiet=1.0)
        time.sleep(1.0)
        self.assertEqual(self.text(), stopped)  # nothing arrives after Stop
        # The stopped command is over: the next one is not refused as "still writing".
        self.select_all()
        self.run_command("summarize_selection")
        self.assertGreater(len(self.settle()), len(stopped))

    def test_nothing_is_inserted_while_the_server_is_down(self):
        with socket_closed_port() as port:
            self.write_settings("http://127.0.0.1:%d" % port)
            self.select_all()
            for name in ("summarize_selection", "continue_writing"):
                self.run_command(name)
            self.run_with_answer("rewrite_selection", "Shorter.")
            self.run_with_answer("ask_about_document", "Why?")
            self.assertEqual(self.settle(quiet=1.0), self.ORIGINAL)


class socket_closed_port:
    """A local port nothing listens on (bound, then closed)."""
    def __enter__(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.stdout.flush()
    # The UNO bridge's threads can crash the interpreter at exit: leave without teardown.
    os._exit(0 if result.wasSuccessful() else 1)
