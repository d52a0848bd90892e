package images

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// rootfs writes a root filesystem as a tarball for docker import: every
// entry owned by root (uid 0) unless said otherwise.
type rootfs struct{ tw *tar.Writer }

// dir adds a directory; mode is in tar's bits (0o1777: sticky, like /tmp).
func (r rootfs) dir(name string, mode int64) error {
	return r.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode})
}

func (r rootfs) file(name string, mode fs.FileMode, data []byte) error {
	if err := r.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(mode), Size: int64(len(data))}); err != nil {
		return err
	}
	_, err := r.tw.Write(data)
	return err
}

func (r rootfs) symlink(name, target string) error {
	return r.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777})
}

// copyFile adds the host file src as name, with its mode.
func (r rootfs) copyFile(src, name string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	return r.add(src, name, info)
}

// tree adds the host directory src as dst and everything below it but
// what skip reports (rel is the slash path below src; a skipped directory
// is left out whole).
func (r rootfs) tree(src, dst string, skip func(rel string, d fs.DirEntry) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." && skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return r.add(p, path.Join(dst, rel), info)
	})
}

// add writes one host entry: directories, regular files and symbolic links
// (nothing else occurs in a Go tree or a module cache).
func (r rootfs) add(src, name string, info fs.FileInfo) error {
	mode := info.Mode()
	switch {
	case mode.IsDir():
		bits := int64(mode.Perm())
		if mode&fs.ModeSticky != 0 {
			bits |= 0o1000
		}
		return r.dir(name, bits)
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return r.symlink(name, target)
	case mode.IsRegular():
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := r.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(mode.Perm()), Size: info.Size(), ModTime: info.ModTime()}); err != nil {
			return err
		}
		_, err = io.Copy(r.tw, f)
		return err
	}
	return nil
}
