// Streamlit writes a few messages of its own in English, with no setting to change them. This rewrites them in
// Chinese wherever they appear (the "Page not found" dialog of a mistyped page address, for one).
(function () {
  if (window.parent.__nianbaoChineseDialogs) return;
  window.parent.__nianbaoChineseDialogs = true;
  const doc = window.parent.document;
  const rules = [
    [/^Page not found$/, () => "未找到该页面"],
    [/^You have requested page \/(.*), but no corresponding file was found in the app's pages\/ directory\. Running the app's main page\.$/,
     (m) => `页面 /${m[1]} 不存在，已打开首页（总览）。请从左侧目录选择页面。`],
    [/^The page that you have requested does not seem to exist\. Running the app's main page\.$/,
     () => "所请求的页面不存在，已打开首页（总览）。请从左侧目录选择页面。"],
  ];
  function translate(root) {
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.nodeValue.trim();
      for (const [pattern, chinese] of rules) {
        const match = text.match(pattern);
        if (match) node.nodeValue = chinese(match);
      }
    }
  }
  translate(doc.body);
  new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => translate(n))))
    .observe(doc.body, { childList: true, subtree: true });
})();
