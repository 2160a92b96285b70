"""Loaders of formats that need a parsing library: PDF (:mod:`.pdf`, pypdf), HTML (:mod:`.html`,
BeautifulSoup) and DOCX (:mod:`.docx`, python-docx). The libraries are the ``formats`` extra
(``pip install 'qa[formats]'``) and are imported only when a file of their format is read.

Each loader builds the document's text with :class:`~.builder.TextBuilder`, which records
where every heading and page lands, so the offsets it hands on are true by construction.
"""
