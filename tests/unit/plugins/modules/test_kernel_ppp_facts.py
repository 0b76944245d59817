# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import gzip
import os

import pytest

from ansible_collections.dialin.callback.plugins.modules import kernel_ppp_facts

REL = '6.1.0-99-amd64'


def put(root, path, content, gz=False):
    full = root / path.lstrip('/')
    full.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(str(full), 'wb') as f:
            f.write(content.encode())
    else:
        full.write_text(content)
    return str(full)


def facts(run_module, root, check_mode=False):
    res = run_module(kernel_ppp_facts.main, dict(kernel_release=REL, root=str(root)), check_mode=check_mode)
    assert not res.failed, res
    assert res['changed'] is False
    return res['ansible_facts']['kernel_ppp']


def test_empty_root_absent(run_module, tmp_path):
    f = facts(run_module, tmp_path)
    assert f == dict(ppp_generic='absent', ppp_async='absent', loaded=[], dev_ppp=False,
                     sources=[], supported=False, release=REL)


def test_boot_config_modules(run_module, tmp_path):
    src = put(tmp_path, '/boot/config-%s' % REL, 'CONFIG_X=y\nCONFIG_PPP=m\nCONFIG_PPP_ASYNC=m\nCONFIG_PPP_BSDCOMP=m\n')
    f = facts(run_module, tmp_path)
    assert f['ppp_generic'] == 'module' and f['ppp_async'] == 'module'
    assert f['supported'] is True
    assert f['sources'] == [src]


def test_proc_config_gz_builtin_preferred(run_module, tmp_path):
    gz = put(tmp_path, '/proc/config.gz', 'CONFIG_PPP=y\nCONFIG_PPP_ASYNC=y\n', gz=True)
    put(tmp_path, '/boot/config-%s' % REL, '# CONFIG_PPP is not set\n')
    f = facts(run_module, tmp_path)
    assert f['ppp_generic'] == 'builtin' and f['ppp_async'] == 'builtin'
    assert f['sources'] == [gz]


def test_config_not_set(run_module, tmp_path):
    put(tmp_path, '/boot/config-%s' % REL, '# CONFIG_PPP is not set\nCONFIG_PPP_ASYNC=n\n')
    f = facts(run_module, tmp_path)
    assert f['ppp_generic'] == 'absent' and f['ppp_async'] == 'absent'
    assert f['supported'] is False


def test_only_generic(run_module, tmp_path):
    put(tmp_path, '/boot/config-%s' % REL, 'CONFIG_PPP=m\n# CONFIG_PPP_ASYNC is not set\n')
    f = facts(run_module, tmp_path)
    assert f['ppp_generic'] == 'module' and f['ppp_async'] == 'absent'
    assert f['supported'] is False


def test_modules_builtin(run_module, tmp_path):
    put(tmp_path, '/lib/modules/%s/modules.builtin' % REL,
        'kernel/drivers/net/ppp/ppp_generic.ko\nkernel/drivers/net/ppp/ppp_async.ko\nkernel/fs/ext4/ext4.ko\n')
    f = facts(run_module, tmp_path)
    assert f['ppp_generic'] == 'builtin' and f['ppp_async'] == 'builtin'
    assert f['supported'] is True


def test_modules_dep(run_module, tmp_path):
    put(tmp_path, '/lib/modules/%s/modules.dep' % REL,
        'kernel/drivers/net/ppp/ppp_generic.ko.xz: kernel/drivers/net/slip/slhc.ko.xz\n'
        'kernel/drivers/net/ppp/ppp_async.ko.xz: kernel/drivers/net/ppp/ppp_generic.ko.xz '
        'kernel/drivers/net/slip/slhc.ko.xz\n'
        'kernel/drivers/net/slip/slhc.ko.xz:\n')
    f = facts(run_module, tmp_path)
    assert f['ppp_generic'] == 'module' and f['ppp_async'] == 'module'


def test_dep_does_not_count_dependency_column(run_module, tmp_path):
    # ppp_generic only appears as a dependency, not as an entry
    put(tmp_path, '/lib/modules/%s/modules.dep' % REL,
        'kernel/drivers/net/ppp/pppoe.ko: kernel/drivers/net/ppp/ppp_generic.ko\n')
    f = facts(run_module, tmp_path)
    assert f['ppp_generic'] == 'absent'


def test_loaded_and_sys_module(run_module, tmp_path):
    put(tmp_path, '/proc/modules',
        'ppp_async 20480 0 - Live 0x0000000000000000\n'
        'ppp_generic 45056 1 ppp_async, Live 0x0000000000000000\n'
        'slhc 16384 1 ppp_generic, Live 0x0000000000000000\n'
        'ext4 1000 1 - Live 0x0\n')
    (tmp_path / 'sys' / 'module' / 'ppp_generic').mkdir(parents=True)
    f = facts(run_module, tmp_path)
    assert f['loaded'] == ['ppp_async', 'ppp_generic']
    assert f['ppp_generic'] == 'module' and f['ppp_async'] == 'module'


def test_sys_module_without_proc_modules_entry_is_builtin(run_module, tmp_path):
    put(tmp_path, '/proc/modules', 'ext4 1000 1 - Live 0x0\n')
    (tmp_path / 'sys' / 'module' / 'ppp_generic').mkdir(parents=True)
    f = facts(run_module, tmp_path)
    assert f['ppp_generic'] == 'builtin'
    assert f['loaded'] == []


def test_dev_ppp_char_108_0(run_module, tmp_path):
    dev = tmp_path / 'dev'
    dev.mkdir()
    os.mknod(str(dev / 'ppp'), 0o600 | 0o020000, os.makedev(108, 0))
    f = facts(run_module, tmp_path)
    assert f['dev_ppp'] is True


def test_dev_ppp_wrong_numbers(run_module, tmp_path):
    dev = tmp_path / 'dev'
    dev.mkdir()
    os.mknod(str(dev / 'ppp'), 0o600 | 0o020000, os.makedev(1, 3))
    assert facts(run_module, tmp_path)['dev_ppp'] is False
    os.unlink(str(dev / 'ppp'))
    (dev / 'ppp').write_text('')
    assert facts(run_module, tmp_path)['dev_ppp'] is False


def test_corrupt_gz_ignored(run_module, tmp_path):
    p = tmp_path / 'proc'
    p.mkdir()
    (p / 'config.gz').write_bytes(b'not gzip')
    src = put(tmp_path, '/boot/config-%s' % REL, 'CONFIG_PPP=y\nCONFIG_PPP_ASYNC=m\n')
    f = facts(run_module, tmp_path)
    assert f['ppp_generic'] == 'builtin' and f['ppp_async'] == 'module'
    assert f['sources'] == [src]


def test_check_mode(run_module, tmp_path):
    put(tmp_path, '/boot/config-%s' % REL, 'CONFIG_PPP=m\nCONFIG_PPP_ASYNC=m\n')
    assert facts(run_module, tmp_path, check_mode=True)['supported'] is True


def test_default_release_runs(run_module):
    # the real host: never fails whatever it has
    res = run_module(kernel_ppp_facts.main, {})
    assert not res.failed
    assert res['ansible_facts']['kernel_ppp']['ppp_generic'] in ('builtin', 'module', 'absent')


@pytest.mark.parametrize('name', ['ppp_generic.ko', 'ppp_generic.ko.zst', 'ppp_generic.ko.gz'])
def test_compressed_module_names(run_module, tmp_path, name):
    put(tmp_path, '/lib/modules/%s/modules.dep' % REL, 'kernel/drivers/net/ppp/%s:\n' % name)
    assert facts(run_module, tmp_path)['ppp_generic'] == 'module'


def test_unsupported_fail_names_the_kernel_and_adds_the_hint(run_module, tmp_path):
    put(tmp_path, '/boot/config-%s' % REL, '# CONFIG_PPP is not set\n')
    res = run_module(kernel_ppp_facts.main, dict(kernel_release=REL, root=str(tmp_path),
                                                 on_unsupported='fail', hint='Set kernel_ppp_required=false. '))
    assert res.failed
    assert res['msg'] == ('The running kernel (%s) has no PPP support: ppp_generic is absent, ppp_async is absent'
                          ' (read from %s/boot/config-%s). Set kernel_ppp_required=false.' % (REL, tmp_path, REL))


def test_unsupported_warn_returns_the_facts(run_module, tmp_path):
    res = run_module(kernel_ppp_facts.main, dict(kernel_release=REL, root=str(tmp_path), on_unsupported='warn'))
    assert not res.failed
    assert res['ansible_facts']['kernel_ppp']['supported'] is False
    assert res['msg'].endswith('(read from nothing).')
    assert len(res['warnings']) == 1 and res['msg'] in str(res['warnings'][0])


@pytest.mark.parametrize('on_unsupported', ['warn', 'fail'])
def test_supported_kernel_neither_warns_nor_fails(run_module, tmp_path, on_unsupported):
    put(tmp_path, '/boot/config-%s' % REL, 'CONFIG_PPP=m\nCONFIG_PPP_ASYNC=m\n')
    res = run_module(kernel_ppp_facts.main, dict(kernel_release=REL, root=str(tmp_path), on_unsupported=on_unsupported))
    assert not res.failed
    assert 'msg' not in res and not res.get('warnings')
