# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared helpers for the file-editing modules of dialin.callback.

One code path reads a managed file, and one writes it: through a temporary
file in the target's own directory, renamed over the target with
``AnsibleModule.atomic_move``.  Files that must be private (mgetty's
login.config, pppd's secrets files) are forced to owner root and mode 0600;
the mode of an existing file is tightened before anything else is done so
that neither the new content nor the backup is ever readable by others.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_native


def read_text(module, path):
    """Return ``(text, exists)`` for *path*.

    The text is decoded as UTF-8 with ``surrogateescape`` so that any byte
    sequence survives a read/modify/write cycle unchanged.
    """
    b_path = to_bytes(path, errors='surrogate_or_strict')
    if not os.path.exists(b_path):
        return '', False
    if os.path.isdir(b_path):
        module.fail_json(msg='path %s is a directory, not a file' % path)
    try:
        with open(b_path, 'rb') as f:
            data = f.read()
    except (IOError, OSError) as e:
        module.fail_json(msg='cannot read %s: %s' % (path, to_native(e)))
    return data.decode('utf-8', 'surrogateescape'), True


def encode_text(text):
    return text.encode('utf-8', 'surrogateescape')


def file_attributes(path):
    """Return ``(uid, mode)`` of *path* or ``(None, None)`` when absent."""
    b_path = to_bytes(path, errors='surrogate_or_strict')
    try:
        st = os.stat(b_path)
    except OSError:
        return None, None
    return st.st_uid, stat.S_IMODE(st.st_mode)


def remove_stale_temporary_files(directory, b_path):
    """Remove the temporary files an earlier writer of b_path left when it was killed between
    creating its temporary file and renaming it (names .<file>.<random>.tmp, made by mkstemp)."""
    prefix = b'.' + os.path.basename(b_path) + b'.'
    for name in os.listdir(directory):
        if name.startswith(prefix) and name.endswith(b'.tmp'):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def write_file(module, path, before_text, after_text, exists, backup=False,
               private=True, diff_before=None, diff_after=None):
    """Write *after_text* to *path* when it differs, honouring check mode.

    :arg before_text: the content read from the file ('' when absent).
    :arg exists: whether the file existed when it was read.
    :arg private: force owner root and mode 0600.
    :arg diff_before/diff_after: text to show in the diff instead of the real
        content (used to hide secrets); default the real content.
    :returns: dict with ``changed``, ``diff`` and, when a backup was made,
        ``backup_file``.
    """
    b_path = to_bytes(path, errors='surrogate_or_strict')
    result = {'changed': False}
    if exists:
        content_changed = before_text != after_text
    else:
        content_changed = after_text != ''

    uid, mode = file_attributes(path)
    attrs_changed = False
    if private and exists:
        attrs_changed = uid != 0 or mode != 0o600

    before_header = path
    after_header = path
    if attrs_changed:
        before_header = '%s (owner uid %s, mode %04o)' % (path, uid, mode)
        after_header = '%s (owner uid 0, mode 0600)' % path
    elif not exists:
        before_header = '%s (absent)' % path

    result['diff'] = {
        'before': before_text if diff_before is None else diff_before,
        'after': after_text if diff_after is None else diff_after,
        'before_header': before_header,
        'after_header': after_header,
    }
    if not exists:
        result['diff']['before'] = ''

    result['changed'] = content_changed or attrs_changed
    if module.check_mode or not result['changed']:
        return result

    directory = os.path.dirname(b_path) or b'.'
    if not os.path.isdir(directory):
        module.fail_json(msg='directory %s of path %s does not exist'
                         % (to_native(directory), path))

    if private and exists and attrs_changed:
        # Tighten first: the backup copy and the renamed temp file inherit
        # these attributes, so secrets never become readable by others.
        try:
            os.chmod(b_path, 0o600)
            os.chown(b_path, 0, -1)
        except OSError as e:
            module.fail_json(msg='cannot set owner root and mode 0600 on %s: %s'
                             % (path, to_native(e)))

    if content_changed:
        if backup and exists:
            result['backup_file'] = module.backup_local(path)
        remove_stale_temporary_files(directory, b_path)
        fd, tmp = tempfile.mkstemp(prefix=b'.' + os.path.basename(b_path) + b'.',
                                   suffix=b'.tmp', dir=directory)
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(encode_text(after_text))
                f.flush()
                os.fsync(f.fileno())
            if private:
                os.chmod(tmp, 0o600)
            old_umask = os.umask(0o077) if private else None
            try:
                module.atomic_move(tmp, to_native(b_path),
                                   unsafe_writes=module.params.get('unsafe_writes', False))
            finally:
                if old_umask is not None:
                    os.umask(old_umask)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    if private:
        try:
            os.chown(b_path, 0, -1)
            os.chmod(b_path, 0o600)
        except OSError as e:
            module.fail_json(msg='cannot set owner root and mode 0600 on %s: %s'
                             % (path, to_native(e)))
    return result
