#!/usr/bin/python3
"""Writes the checkpoint fixtures of org.fssd.io.pytorch (SPEC section 12).

Run with Debian's /usr/bin/python3 (torch 1.13 CPU):

    /usr/bin/python3 tools/reference/make_checkpoint_fixtures.py

Output: fssd-core/src/test/resources/org/fssd/io/pytorch/
  good_zip.pth, good_legacy.pth        one state_dict (OrderedDict with _metadata) holding
                                       float32/float64/int64/float16/int32/uint8/bool tensors,
                                       a transposed view, two views of one storage at offsets,
                                       a zero-stride (expanded) tensor, a 0-d scalar, an empty
                                       tensor
  wrapped_zip.pth, wrapped_legacy.pth  {'epoch': 1, 'state_dict': {'module.' + key: ...},
                                       'optimizer': {... tensors ...}} (DataParallel style)
  expected.json                        every tensor of the good files: dtype, shape, C-order
                                       values (floats as the exact decimal of the stored value)
  hostile files                        see HOSTILE below; none of them is ever loaded here

Deterministic: tensor values are fixed; the legacy format's storage keys (memory addresses
in torch) are rewritten to counters of the same length; zip files are rebuilt with fixed
timestamps. Nothing here executes a hostile pickle: the hostile pickles are assembled by hand
or written with pickle.dumps of an object whose __reduce__ names the callable (dumping does
not call it).
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fssd-core', 'src',
                   'test', 'resources', 'org', 'fssd', 'io', 'pytorch')
MAGIC = 0x1950a86a20f9469cfc6c


def state_dict():
  """The tensors of the good fixtures, in a torch-like OrderedDict with _metadata."""
  sd = collections.OrderedDict()
  base = torch.tensor([[1.5, -2.25, 3.0], [0.1, 1e-30, -7.75e20]], dtype=torch.float32)
  sd['conv.weight'] = base                      # contiguous float32
  sd['conv.weight_t'] = base.t()                # transposed view of the same storage
  sd['f64'] = torch.tensor([0.1, -1.0 / 3.0, 2.0 ** -1074, 1e300], dtype=torch.float64)
  sd['i64'] = torch.tensor([0, -5, 2 ** 40 + 3, -(2 ** 62), 2 ** 63 - 1], dtype=torch.int64)
  line = torch.arange(12, dtype=torch.float32) * 0.5 - 1.0
  sd['view_a'] = line[2:5]                      # offset 2 into a 12-element storage
  sd['view_b'] = line[4:10].view(2, 3)          # offset 4, same storage
  sd['strided'] = line[1::3]                    # offset 1, stride 3
  sd['expanded'] = torch.tensor([4.0, -8.0], dtype=torch.float32).expand(3, 2)  # stride (0, 1)
  sd['scalar'] = torch.tensor(2.5, dtype=torch.float32)  # 0-d
  sd['empty'] = torch.zeros(0, 3, dtype=torch.float32)
  sd['bn.num_batches_tracked'] = torch.tensor(7, dtype=torch.int64)  # 0-d int64
  sd['f16'] = torch.tensor([1.0, -0.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08],
                           dtype=torch.float16)
  sd['i32'] = torch.tensor([[1, -2], [2 ** 31 - 1, -(2 ** 31)]], dtype=torch.int32)
  sd['u8'] = torch.tensor([0, 1, 255], dtype=torch.uint8)
  sd['flags'] = torch.tensor([True, False, True], dtype=torch.bool)
  sd._metadata = collections.OrderedDict([('', {'version': 1}), ('conv', {'version': 1})])
  return sd


def wrapped():
  """A training checkpoint: module.-prefixed state_dict plus an optimizer holding tensors."""
  inner = collections.OrderedDict()
  inner['module.conv.weight'] = torch.tensor([[0.25, -0.5], [1.0, 2.0]], dtype=torch.float32)
  inner['module.conv.bias'] = torch.tensor([3.0, -4.0], dtype=torch.float32)
  inner['module.bn.num_batches_tracked'] = torch.tensor(11, dtype=torch.int64)
  optimizer = {
      'state': {0: {'momentum_buffer': torch.full((2, 2), 9.0)}},
      'param_groups': [{'lr': 0.001, 'momentum': 0.9, 'params': [0, 1]}],
  }
  return {'epoch': 1, 'state_dict': inner, 'optimizer': optimizer}


def expected_entry(t):
  dtype = {
      torch.float32: 'FLOAT32', torch.float64: 'FLOAT64', torch.float16: 'FLOAT16',
      torch.int64: 'INT64', torch.int32: 'INT32', torch.uint8: 'UINT8', torch.bool: 'BOOL',
  }[t.dtype]
  flat = t.contiguous().reshape(-1)
  if t.dtype.is_floating_point:
    values = [float(v) for v in flat.double().tolist()]  # exact: every stored value is a double
  elif t.dtype == torch.bool:
    values = [int(v) for v in flat.tolist()]
  else:
    values = [int(v) for v in flat.tolist()]
  return {'dtype': dtype, 'shape': list(t.shape), 'values': values}


def rezip(data, name_map=None, drop=(), compress=None):
  """Rebuilds a zip with fixed timestamps; optionally renames, drops or deflates entries."""
  src = zipfile.ZipFile(io.BytesIO(data))
  buf = io.BytesIO()
  with zipfile.ZipFile(buf, 'w') as dst:
    for info in src.infolist():
      if info.filename in drop:
        continue
      name = (name_map or {}).get(info.filename, info.filename)
      zi = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
      zi.compress_type = zipfile.ZIP_STORED
      if compress and info.filename in compress:
        zi.compress_type = zipfile.ZIP_DEFLATED
      dst.writestr(zi, src.read(info.filename))
  return buf.getvalue()


def save_zip(obj, archive_name):
  buf = io.BytesIO()
  torch.save(obj, buf)  # archive prefix 'archive'
  data = buf.getvalue()
  names = zipfile.ZipFile(io.BytesIO(data)).namelist()
  return rezip(data, {n: archive_name + n[len('archive'):] for n in names})


class _Inert:
  """Stands for every global while skipping over a pickle: imports and calls nothing."""

  def __init__(self, *args, **kwargs):
    pass

  def __setitem__(self, key, value):
    pass

  def __setstate__(self, state):
    pass


class _Skip(pickle.Unpickler):
  """Walks over one pickle without importing or calling anything; records persistent ids."""

  def __init__(self, f):
    super().__init__(f)
    self.pids = []

  def persistent_load(self, pid):
    self.pids.append(pid)
    return None

  def find_class(self, module, name):
    return type('Global', (_Inert,), {'qualname': module + '.' + name})


ELEMENT_SIZE = {'torch.FloatStorage': 4, 'torch.DoubleStorage': 8, 'torch.HalfStorage': 2,
                'torch.LongStorage': 8, 'torch.IntStorage': 4, 'torch.ByteStorage': 1,
                'torch.BoolStorage': 1}


def legacy_layout(data):
  """Returns (end offsets of the 5 pickles, storage keys, {key: element size}) of a legacy file."""
  f = io.BytesIO(data)
  ends = []
  sizes = {}
  for _ in range(4):
    skip = _Skip(f)
    skip.load()
    for pid in skip.pids:
      sizes.setdefault(pid[2], ELEMENT_SIZE[pid[1].qualname])
    ends.append(f.tell())
  keys = pickle.load(f)
  ends.append(f.tell())
  return ends, keys, sizes


def save_legacy(obj):
  """torch's legacy format, made deterministic.

  Its storage keys are memory addresses, and the storages follow in sorted key order. The keys
  are renamed '0', '1', ... in order of first use in the object pickle (a protocol-2 pickle has
  no absolute offsets, so a string may change length), the key list is pickled again, and the
  storages are put in that order: exactly what torch would write with such keys (torch.load
  reads them back below).
  """
  buf = io.BytesIO()
  torch.save(obj, buf, _use_new_zipfile_serialization=False)
  data = buf.getvalue()
  ends, keys, sizes = legacy_layout(data)
  order = list(sizes)  # first use
  assert sorted(order) == sorted(keys)
  segments = {}
  pos = ends[4]
  for key in keys:
    count = struct.unpack_from('<q', data, pos)[0]
    n = 8 + count * sizes[key]
    segments[key] = data[pos:pos + n]
    pos += n
  assert pos == len(data)
  obj_pickle = data[ends[2]:ends[3]]
  for i, key in enumerate(order):
    old = b'X' + struct.pack('<I', len(key)) + key.encode()
    assert obj_pickle.count(old) >= 1, key
    obj_pickle = obj_pickle.replace(old, b'X' + struct.pack('<I', len(str(i))) + str(i).encode())
  return (data[:ends[2]] + obj_pickle + pickle.dumps([str(i) for i in range(len(order))], protocol=2)
          + b''.join(segments[k] for k in order))


def hand_pickle_global(module, name, arg, proto=2):
  """A pickle that would call module.name(arg): built by hand, never loaded."""
  a = arg.encode()
  if proto >= 4:
    body = (b'\x8c' + bytes([len(module)]) + module.encode() + b'\x94'
            + b'\x8c' + bytes([len(name)]) + name.encode() + b'\x94' + b'\x93\x94')
    head = b'\x80' + bytes([proto])
  else:
    body = b'c' + module.encode() + b'\n' + name.encode() + b'\n'
    head = b'\x80\x02'
  return head + body + b'X' + struct.pack('<I', len(a)) + a + b'\x85R.'


class _ReduceTo:
  """Pickles as a call of `func(*args)`; pickling it does not call anything."""

  def __init__(self, func, args):
    self.func, self.args = func, args

  def __reduce__(self):
    return (self.func, self.args)


def evil_zip(good_zip, evil_pickle):
  src = zipfile.ZipFile(io.BytesIO(good_zip))
  buf = io.BytesIO()
  with zipfile.ZipFile(buf, 'w') as dst:
    for info in src.infolist():
      zi = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
      body = evil_pickle if info.filename.endswith('/data.pkl') else src.read(info.filename)
      dst.writestr(zi, body)
  return buf.getvalue()


def evil_legacy(good_legacy, evil_pickle):
  ends, _, _ = legacy_layout(good_legacy)
  return good_legacy[:ends[2]] + evil_pickle + good_legacy[ends[3]:]


def write(name, data):
  with open(os.path.join(OUT, name), 'wb') as f:
    f.write(data)


def main():
  torch.manual_seed(0)
  os.makedirs(OUT, exist_ok=True)
  for old in os.listdir(OUT):
    if old.endswith('.pth') or old == 'expected.json':
      os.remove(os.path.join(OUT, old))

  sd = state_dict()
  good_zip = save_zip(sd, 'good_zip')
  good_legacy = save_legacy(sd)
  write('good_zip.pth', good_zip)
  write('good_legacy.pth', good_legacy)
  wz = save_zip(wrapped(), 'wrapped_zip')
  wl = save_legacy(wrapped())
  write('wrapped_zip.pth', wz)
  write('wrapped_legacy.pth', wl)

  # Loading them back with torch checks the fixtures themselves.
  for name in ('good_zip.pth', 'good_legacy.pth'):
    back = torch.load(os.path.join(OUT, name))
    for k, v in sd.items():
      assert back[k].dtype == v.dtype and back[k].shape == v.shape and torch.equal(back[k], v), k
  for name in ('wrapped_zip.pth', 'wrapped_legacy.pth'):
    back = torch.load(os.path.join(OUT, name))
    assert torch.equal(back['state_dict']['module.conv.bias'], torch.tensor([3.0, -4.0]))

  good = collections.OrderedDict((k, expected_entry(v)) for k, v in sd.items())
  wrapped_expected = collections.OrderedDict(
      (k[len('module.'):], expected_entry(v)) for k, v in wrapped()['state_dict'].items())
  expected = collections.OrderedDict([
      ('good_zip.pth', good), ('good_legacy.pth', good),
      ('wrapped_zip.pth', wrapped_expected), ('wrapped_legacy.pth', wrapped_expected)])
  with open(os.path.join(OUT, 'expected.json'), 'w') as f:  # one line per tensor
    f.write('{\n')
    for i, (fname, tensors) in enumerate(expected.items()):
      f.write(' %s: {\n' % json.dumps(fname))
      for j, (key, entry) in enumerate(tensors.items()):
        f.write('  %s: %s%s\n' % (json.dumps(key), json.dumps(entry),
                                   ',' if j + 1 < len(tensors) else ''))
      f.write(' }%s\n' % (',' if i + 1 < len(expected) else ''))
    f.write('}\n')

  # ---- HOSTILE: each must be refused with a message naming the problem ----
  import os as os_module
  import subprocess
  write('evil_os_system_zip.pth', evil_zip(good_zip, hand_pickle_global('os', 'system', 'echo pwned')))
  write('evil_posix_system_zip.pth',
        evil_zip(good_zip, pickle.dumps(_ReduceTo(os_module.system, ('echo pwned',)), protocol=2)))
  write('evil_builtins_eval_legacy.pth',
        evil_legacy(good_legacy, hand_pickle_global('builtins', 'eval', '1+1')))
  write('evil_subprocess_popen_legacy.pth',
        evil_legacy(good_legacy, pickle.dumps(_ReduceTo(subprocess.Popen, (['true'],)), protocol=2,
                                         fix_imports=False)))  # else 'commands.Popen'
  write('evil_getattr_stack_global_zip.pth',
        evil_zip(good_zip, hand_pickle_global('builtins', 'getattr', 'x', proto=4)))

  ends, _, _ = legacy_layout(good_legacy)
  magic = pickle.dumps(MAGIC + 1, protocol=2)
  assert len(magic) == ends[0]
  write('bad_magic_legacy.pth', magic + good_legacy[ends[0]:])
  version = pickle.dumps(1002, protocol=2)
  assert len(version) == ends[1] - ends[0]
  write('bad_version_legacy.pth', good_legacy[:ends[0]] + version + good_legacy[ends[1]:])
  # First storage's element count (int64 LE right after the key list) made huge.
  first_count = struct.unpack_from('<q', good_legacy, ends[4])[0]
  assert first_count > 0
  write('huge_count_legacy.pth',
        good_legacy[:ends[4]] + struct.pack('<q', 1 << 40) + good_legacy[ends[4] + 8:])

  names = zipfile.ZipFile(io.BytesIO(good_zip)).namelist()
  storage = sorted(n for n in names if '/data/' in n)[0]
  write('missing_storage_zip.pth', rezip(good_zip, drop=(storage,)))
  write('traversal_zip.pth', rezip(good_zip, {storage: 'good_zip/data/../../evil'}))
  # Zip bomb: a deflated storage entry whose declared uncompressed size is ~4 GB.
  deflated = rezip(good_zip, compress=(storage,))
  zf = zipfile.ZipFile(io.BytesIO(deflated))
  info = zf.getinfo(storage)
  declared = 0xF0000000
  b = bytearray(deflated)
  struct.pack_into('<I', b, info.header_offset + 22, declared)  # local header
  cd = b.find(b'PK\x01\x02')
  while cd >= 0:  # central directory record of this entry
    n = struct.unpack_from('<H', b, cd + 28)[0]
    if bytes(b[cd + 46:cd + 46 + n]) == storage.encode():
      struct.pack_into('<I', b, cd + 24, declared)
      break
    cd = b.find(b'PK\x01\x02', cd + 4)
  assert cd >= 0
  write('bomb_zip.pth', bytes(b))

  total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
  print('wrote %d files, %d bytes, to %s' % (len(os.listdir(OUT)), total, os.path.normpath(OUT)),
        file=sys.stderr)


if __name__ == '__main__':
  main()
