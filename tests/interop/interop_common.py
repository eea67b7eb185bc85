"""What the interoperability scripts share: opening references exactly as
the Earthbigdata seed does, and collecting problems into one exit status."""

import sys

import fsspec
import imagecodecs.numcodecs
import xarray


def open_like_the_seed(refs):
    """The seed's own calls: imagecodecs codecs, a reference mapper over
    local JSON with remote HTTP chunks, and xarray's zarr engine unscaled."""
    imagecodecs.numcodecs.register_codecs()
    mapper = fsspec.get_mapper(
        'reference://',
        fo=refs,
        target_protocol='file',
        remote_protocol='http',
    )
    return xarray.open_dataset(
        mapper,
        engine='zarr',
        mask_and_scale=False,
        backend_kwargs={'consolidated': False},
    )


class Problems:
    """Every problem is printed as found and listed again at the end, so
    one run shows all of them, not just the first."""

    def __init__(self, label):
        self.label = label
        self.items = []

    def add(self, message):
        self.items.append(message)
        print(f'{self.label}:', message)

    def check(self, ok, message):
        if not ok:
            self.add(message)

    def finish(self, noun, summary):
        """Exit 1 listing the problems, or print OK with `summary`."""
        if self.items:
            print(f'FAILED: {len(self.items)} {noun} ({summary})', file=sys.stderr)
            for item in self.items:
                print('  ' + item, file=sys.stderr)
            sys.exit(1)
        print(f'OK: {summary}')
