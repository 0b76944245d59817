# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The status report's HTML page read as its tables: used by the unit tests of the report's template
and by the Molecule rollout scenario's test of the page Chromium built."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from html.parser import HTMLParser


class Page(HTMLParser):
    """The page's tables (after each h2/h3 heading: its rows of cell texts), scripts and external references."""

    def __init__(self, text):
        HTMLParser.__init__(self)
        self.tables, self.heading, self.cell, self.scripts, self.refs, self.row_classes = {}, None, None, 0, [], {}
        self._in_heading = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ('h2', 'h3'):
            self._in_heading, self.heading = True, ''
        elif tag == 'tr' and self.heading is not None:
            self.tables.setdefault(self.heading, []).append([])
            self.row_classes.setdefault(self.heading, []).append(attrs.get('class'))
        elif tag in ('td', 'th'):
            self.cell = ''
        elif tag == 'script':
            self.scripts += 1
        for key in ('src', 'href'):
            if key in attrs:
                self.refs.append(attrs[key])

    def handle_endtag(self, tag):
        if tag in ('h2', 'h3'):
            self._in_heading = False
        elif tag in ('td', 'th') and self.cell is not None:
            self.tables[self.heading][-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self._in_heading:
            self.heading += data
        elif self.cell is not None:
            self.cell += data

    def rows(self, heading):
        header, *rows = self.tables[heading]
        return [dict(zip(header, r)) for r in rows]
