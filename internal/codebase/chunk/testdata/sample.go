// Package sample is a fixture for the chunker tests.
package sample

import (
	"context"
	"fmt"
)

// MaxRetries bounds the retries.
const MaxRetries = 3

var defaultName = "x"

// Client talks to the server.
// It is safe for concurrent use.
type Client struct {
	name string // the name
}

// Refresh reloads the token.
func (c *Client) Refresh(ctx context.Context) error {
	// check the context first
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

func (s Stack[T]) Push(v T) {
	/* append at the end */
	s.items = append(s.items, v)
}

type Stack[T any] struct {
	items []T
}

// Reader reads.
type Reader interface {
	Read(p []byte) (int, error)
}

/*
New makes a client.
*/
func New(name string) *Client {
	fmt.Println(name)
	return &Client{name: name}
}
